# cmake -DIN=<file> -DOUT=<file.inc> -DVAR=<name> -P EmbedText.cmake
# Writes `static const char <VAR>[] = R"fxir_embed(<contents of IN>)fxir_embed";` to OUT,
# so a data file becomes part of a library without a run-time path.
file(READ "${IN}" _text)
string(FIND "${_text}" ")fxir_embed\"" _pos)
if(NOT _pos EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )fxir_embed\"")
endif()
file(WRITE "${OUT}.tmp" "// Generated from ${IN}; do not edit.\n"
                        "static const char ${VAR}[] = R\"fxir_embed(")
file(APPEND "${OUT}.tmp" "${_text}")
file(APPEND "${OUT}.tmp" ")fxir_embed\";\n")
file(RENAME "${OUT}.tmp" "${OUT}")
