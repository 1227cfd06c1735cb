//! One module per subcommand. Each exposes `run(args) -> anyhow::Result<ExitCode>` and stays a thin shell
//! over library calls.

pub mod geodesy;
pub mod log;
pub mod serve;
pub mod study;
