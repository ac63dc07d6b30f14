/* Attributes for the wasm build: functions exported to and imported from JavaScript. */
#ifndef LLMTS_WASM_H
#define LLMTS_WASM_H

#define EXPORT(name) __attribute__((export_name(name), visibility("default")))
#define IMPORT(name) __attribute__((import_module("env"), import_name(name)))

#endif
