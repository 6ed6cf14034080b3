//! The `entra-doctor` binary: the process's arguments into the CLI
//! ([`entra_doctor::main_with_args`]), its status out.

use std::process::ExitCode;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ExitCode::from(entra_doctor::main_with_args(std::env::args_os()))
}
