//! The `flightline` binary: see `flightline --help`.

use clap::Parser;

/// mimalloc instead of the system allocator: glibc raises its mmap threshold after the first
/// 19 MiB argon2 block is freed and then keeps every later block in the heap, so the resident
/// size grew by tens of MiB per login under load (measured: 238 MB after 15 logins; 40 MB with
/// a fixed threshold). mimalloc returns large blocks to the OS and is faster on small ones.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use flightline::cli::{self, Cli, Command};
use flightline::config::Settings;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Openapi) {
        println!("{}", flightline::api::openapi_json());
        return std::process::ExitCode::SUCCESS;
    }
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("flightline: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    flightline::telemetry::init_tracing(&settings.log);
    match cli::run(cli, settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("flightline: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
