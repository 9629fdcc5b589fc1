# Turns a text file into a C++ header holding it as a raw string literal, so the
# worker's Python runtime ships inside the binary and cannot go missing.
file(READ ${IN} TEXT)
get_filename_component(NAME ${IN} NAME_WE)
file(WRITE ${OUT} "#pragma once\n// Generated from ${IN}; edit that file.\ninline constexpr const char k_${NAME}_source[] = R\"PRSPY(${TEXT})PRSPY\";\n")
