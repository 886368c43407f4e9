# dmgw_warnings(target): the project's warning set; -Werror when DMGW_WERROR (CI).
function(dmgw_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
    -Wno-unused-parameter)
  if(DMGW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
