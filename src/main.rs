//! The `flightline` binary: see `flightline --help`.

use clap::Parser;
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
