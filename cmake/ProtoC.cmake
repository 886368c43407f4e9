# dmgw_protoc_c(OUT_SRCS OUT_HDRS proto...): generate protobuf-c code into the build tree.
function(dmgw_protoc_c out_srcs out_hdrs)
  set(srcs "")
  set(hdrs "")
  foreach(p ${ARGN})
    get_filename_component(abs ${p} ABSOLUTE)
    get_filename_component(dir ${abs} DIRECTORY)
    get_filename_component(we ${p} NAME_WE)
    set(c ${CMAKE_CURRENT_BINARY_DIR}/${we}.pb-c.c)
    set(h ${CMAKE_CURRENT_BINARY_DIR}/${we}.pb-c.h)
    add_custom_command(OUTPUT ${c} ${h}
      COMMAND ${PROTOC_C} --c_out=${CMAKE_CURRENT_BINARY_DIR} -I${dir} ${abs}
      DEPENDS ${abs} COMMENT "protoc-c ${we}.proto" VERBATIM)
    list(APPEND srcs ${c})
    list(APPEND hdrs ${h})
  endforeach()
  set(${out_srcs} ${srcs} PARENT_SCOPE)
  set(${out_hdrs} ${hdrs} PARENT_SCOPE)
endfunction()
