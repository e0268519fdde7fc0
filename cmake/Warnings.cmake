# One source of truth for compiler warnings. VITRINE_WERROR=ON in CI turns them into errors.
option(VITRINE_WERROR "Treat warnings as errors" OFF)

add_library(vitrine_warnings INTERFACE)
target_compile_options(vitrine_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wconversion -Wshadow -Wnon-virtual-dtor -Wpedantic>
  $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wconversion -Wshadow>
  $<$<BOOL:${VITRINE_WERROR}>:-Werror>)

# Tests get a looser set: gtest macros trip -Wconversion on size comparisons.
add_library(vitrine_test_warnings INTERFACE)
target_compile_options(vitrine_test_warnings INTERFACE
  -Wall -Wextra -Wshadow $<$<BOOL:${VITRINE_WERROR}>:-Werror>)
