//! One module per subcommand. Each exposes `run(args) -> anyhow::Result<ExitCode>` and stays a thin shell
//! over library calls.

pub mod compare;
pub mod dashboard;
pub mod fly;
pub mod footprint;
pub mod geodesy;
pub mod lambert;
pub mod log;
pub mod monitor;
pub mod serve;
pub mod simulate;
pub mod study;
pub mod sweep;
pub mod trajectory;
pub mod verify;
pub mod witness;
