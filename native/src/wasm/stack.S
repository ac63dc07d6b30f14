# llmts_set_stack(top): points this instance's stack pointer at `top`. Every worker thread
# instantiates the module anew (its globals are its own, the memory is shared) and must move its
# stack off the main thread's before running any C (src/backends/wasm/threads.ts).
  .globaltype __stack_pointer, i32

  .globl llmts_set_stack
  .type llmts_set_stack,@function
llmts_set_stack:
  .functype llmts_set_stack (i32) -> ()
  local.get 0
  global.set __stack_pointer
  end_function
