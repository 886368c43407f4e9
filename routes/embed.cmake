# cmake -DIN=<file> -DOUT=<c file> -DSYM=<symbol> -P embed.cmake : embed a text file as a
# NUL-terminated char array plus its length.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," arr "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" arr "${arr}")
file(WRITE ${OUT} "/* generated from ${IN} by routes/embed.cmake - do not edit */\n#include \"openapi_doc.h\"\nconst char ${SYM}[] = {\n${arr}0x00};\nconst size_t ${SYM}_len = ${len};\n")
