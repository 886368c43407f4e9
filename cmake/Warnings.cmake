# dmgw_warnings(target): the project's warning set; -Werror when DMGW_WERROR (CI).
function(dmgw_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter
    $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes>
    $<$<COMPILE_LANGUAGE:CXX>:-Wmissing-declarations -fno-exceptions -fno-rtti>)
  if(DMGW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
