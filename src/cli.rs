//! The command line: `yizhan [serve]`, `yizhan migrate`, `yizhan check-config`.

use clap::{Parser, Subcommand};

use crate::configuration::Settings;
use crate::startup::{self, Application};
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "yizhan",
    version,
    about = "一站 yizhan: routes enterprises' problem reports to industry-and-IT departments",
    long_about = "一站 yizhan routes enterprises' problem reports to the industry-and-IT \
        departments of county, city, province and ministry.\n\n\
        Configuration comes from config/default.toml, config/<profile>.toml and the \
        environment: DATABASE_URL, YIZHAN_BIND, YIZHAN_PROFILE, YIZHAN_JWT_SECRET and \
        YIZHAN__SECTION__KEY."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default when no command is given).
    Serve,
    /// Apply pending database migrations, load reference data, and exit.
    Migrate,
    /// Print the effective configuration, with secrets masked.
    CheckConfig,
}

/// Runs the command; returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("yizhan: {e}");
            return 2;
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::CheckConfig => {
            print!("{}", settings.redacted_toml());
            0
        }
        Command::Migrate => {
            telemetry::init_logging(&settings.log);
            match tokio::task::spawn_blocking(move || startup::migrate(&settings)).await {
                Ok(Ok(report)) => {
                    println!(
                        "applied {} migration(s){}",
                        report.applied.len(),
                        match report.loaded {
                            Some(l) => format!(
                                "; loaded {} regions and {} departments",
                                l.regions, l.departments
                            ),
                            None => String::new(),
                        }
                    );
                    0
                }
                Ok(Err(e)) => {
                    eprintln!("yizhan: {e}");
                    1
                }
                Err(e) => {
                    eprintln!("yizhan: {e}");
                    1
                }
            }
        }
        Command::Serve => {
            telemetry::init_logging(&settings.log);
            let app = match Application::build(settings).await {
                Ok(app) => app,
                Err(e) => {
                    tracing::error!(reason = %e, "refusing to start");
                    eprintln!("yizhan: {e}");
                    return 1;
                }
            };
            match app.run_until_stopped().await {
                Ok(()) => {
                    tracing::info!("stopped");
                    0
                }
                Err(e) => {
                    eprintln!("yizhan: {e}");
                    1
                }
            }
        }
    }
}
