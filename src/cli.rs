//! The command line: `yizhan [serve]`, `yizhan migrate`, `yizhan check-config`.

use crate::words::{phrase, Lang};
use chrono::Utc;
use clap::{Parser, Subcommand};

use crate::configuration::Settings;
use crate::services::clock::Clock;
use crate::startup::{self, Application};
use crate::telemetry;

mod monitoring;

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
    Serve(ServeArgs),
    /// Fill an empty database with the demo data set (spring 2022: the white
    /// lists, the automobile groups, a year of problems) and print the demo
    /// accounts. Refused in the production profile.
    Demo(DemoArgs),
    /// Apply pending database migrations, load reference data, and exit.
    Migrate,
    /// Print the effective configuration, with secrets masked.
    CheckConfig,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Import enterprises or white-list entries from a CSV or XLSX file.
    #[command(subcommand)]
    Import(ImportCommand),
    /// The work calendar (holidays and make-up workdays).
    #[command(subcommand)]
    Calendar(CalendarCommand),
}

#[derive(Debug, Default, clap::Args)]
pub struct ServeArgs {
    /// On an empty database, first create the demo data set (see `yizhan
    /// demo`); then print the address to open and the demo log-ins.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: the demo's last day (YYYY-MM-DD, Beijing), e.g.
    /// 2022-04-28; the service then runs on a clock that starts that
    /// evening, so that its pages show that day.
    #[arg(long, requires = "demo")]
    pub as_of: Option<chrono::NaiveDate>,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The demo's last day (YYYY-MM-DD, Beijing); default today. The same
    /// day gives the same data set; a past day (2022-04-28) places the
    /// whole demo, tickets and daily reports, as it stood that evening.
    #[arg(long = "as-of", alias = "until")]
    pub until: Option<chrono::NaiveDate>,
    /// Problems filed over the year.
    #[arg(long, default_value_t = crate::services::demo::DEMO_TICKETS)]
    pub tickets: usize,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Load a calendar file (CSV `date,kind,festival`; kind `holiday` or
    /// `workday`): every year in it is replaced as a whole, or nothing changes.
    Import { file: std::path::PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Enterprises, keyed by credit code (re-importing changes nothing).
    Enterprises(ImportArgs),
    /// White-list entries, keyed by credit code, scope and batch.
    Whitelist(ImportArgs),
    /// A monitoring list's enterprises (监测名单), keyed by credit code,
    /// with their industry codes (GB/T 4754-2017) when given.
    MonitoringList(MonitoringListArgs),
}

#[derive(Debug, clap::Args)]
pub struct MonitoringListArgs {
    /// A CSV (UTF-8 or GBK) or XLSX file with a header row: 统一社会信用代码
    /// (credit_code) and, optionally, 行业代码 (industry).
    pub file: std::path::PathBuf,
    /// The list's name.
    #[arg(long)]
    pub list: String,
    /// The department keeping the list (its id, region code or name):
    /// needed when several departments have a list of that name, and to
    /// create the list when it does not exist yet.
    #[arg(long)]
    pub department: Option<String>,
    /// Check every row and report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A CSV (UTF-8 or GBK) or XLSX file with a header row.
    pub file: std::path::PathBuf,
    /// Check every row and report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply changes of name of white-listed enterprises (refused otherwise,
    /// and listed with old and new names).
    #[arg(long)]
    pub allow_renames: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account, e.g. the first administrator:
    /// `yizhan user create --role admin --email admin@example.cn --name 管理员`.
    Create(CreateUserArgs),
}

#[derive(Debug, clap::Args)]
pub struct CreateUserArgs {
    /// enterprise, officer, lead, supervisor or admin.
    #[arg(long)]
    pub role: String,
    #[arg(long)]
    pub email: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub phone: Option<String>,
    /// The department (officer, lead, supervisor): its id, the six-digit
    /// code of the region it serves (e.g. 310115), or its exact name.
    #[arg(long)]
    pub department: Option<String>,
    /// Enterprise id (enterprise users).
    #[arg(long)]
    pub enterprise: Option<i64>,
    /// zh or en.
    #[arg(long, default_value = "zh")]
    pub locale: String,
    /// Read the password from the first line of standard input instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
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
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
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
        Command::User(UserCommand::Create(args)) => create_user(settings, args).await,
        Command::Import(ImportCommand::Enterprises(args)) => import(settings, args, true).await,
        Command::Import(ImportCommand::Whitelist(args)) => import(settings, args, false).await,
        Command::Import(ImportCommand::MonitoringList(args)) => {
            monitoring::import_monitoring_list(settings, args).await
        }
        Command::Calendar(CalendarCommand::Import { file }) => {
            import_calendar(settings, file).await
        }
        Command::Demo(args) => {
            telemetry::init_logging(&settings.log);
            demo(&settings, args, true, true).await
        }
        Command::Serve(args) => {
            telemetry::init_logging(&settings.log);
            if args.demo {
                let code = demo(
                    &settings,
                    DemoArgs {
                        until: args.as_of,
                        tickets: crate::services::demo::DEMO_TICKETS,
                    },
                    false,
                    false,
                )
                .await;
                if code != 0 {
                    return code;
                }
            }
            // `--as-of`: the service lives on the demo's last evening.
            let clock = Clock::system();
            if let Some(day) = args.as_of {
                clock.set(crate::services::demo::demo_now(day));
            }
            let app = match Application::build_with_clock(settings, clock).await {
                Ok(app) => app,
                Err(e) => {
                    tracing::error!(reason = %e, "refusing to start");
                    eprintln!("yizhan: {e}");
                    return 1;
                }
            };
            if args.demo {
                print_demo_logins(&app).await;
            }
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

/// Creates the demo data set; `required`: a non-empty database is an error
/// (`yizhan demo`) rather than a reason to skip (`serve --demo`, which
/// prints the log-ins itself once it knows its address: `print_logins` off).
async fn demo(settings: &Settings, args: DemoArgs, required: bool, print_logins: bool) -> i32 {
    use crate::services::demo::{create, database_is_empty, DemoError, DemoOptions};
    if settings.profile == crate::configuration::Profile::Production {
        eprintln!("yizhan: {}", DemoError::Production);
        return 2;
    }
    let s = settings.clone();
    match tokio::task::spawn_blocking(move || startup::migrate(&s)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            eprintln!("yizhan: {e}");
            return 1;
        }
        Err(e) => {
            eprintln!("yizhan: {e}");
            return 1;
        }
    }
    let db = match crate::storage::Database::connect(&settings.database) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("yizhan: {e}");
            return 1;
        }
    };
    if !required && !matches!(database_is_empty(&db).await, Ok(true)) {
        tracing::info!("the database is not empty: no demo data added");
        return 0;
    }
    let until = args.until.unwrap_or_else(|| {
        // Wall time: the demo's year ends today; services::demo runs on the system clock too.
        Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
    });
    eprintln!(
        "yizhan: creating the demo data set ({} problems over the year to {until}) ...",
        args.tickets
    );
    let options = DemoOptions {
        until,
        tickets: args.tickets,
    };
    match create(&db, settings, options, |done, all| {
        eprintln!("yizhan: {done}/{all} problems");
    })
    .await
    {
        Ok(report) => {
            println!(
                "演示数据已创建 / demo data created: {} enterprises, {} problems, {} handling steps ({} refused).",
                report.enterprises, report.tickets, report.steps, report.refused
            );
            if !print_logins {
                return 0;
            }
            println!(
                "演示账号 / demo accounts — 密码 password: {}（仅显示这一次 / shown once）",
                crate::seed::demo::DEMO_PASSWORD
            );
            for a in &report.logins {
                println!("  {:<40} {:<11} {}", a.email, a.role, a.name);
            }
            0
        }
        Err(e) => {
            eprintln!("yizhan: {e}");
            1
        }
    }
}

/// `serve --demo`: where to open the service and who to log in as.
async fn print_demo_logins(app: &Application) {
    let logins = match crate::services::users::demo_logins(app.database()).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("yizhan: cannot read the demo accounts: {e}");
            return;
        }
    };
    println!("打开 / open: {}/", app.base_url());
    if logins.is_empty() {
        println!("（数据库中没有演示账号 / the database holds no demo accounts）");
        return;
    }
    println!(
        "演示账号 / demo log-ins — 密码 password: {}",
        crate::seed::demo::DEMO_PASSWORD
    );
    for u in &logins {
        println!(
            "  {:<40} {:<11} {}",
            u.email,
            u.role.as_str(),
            u.display_name
        );
    }
}

fn read_password(from_stdin: bool) -> Result<String, String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password("Password: ")
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let again = rpassword::prompt_password("Password again: ")
        .map_err(|e| format!("cannot read the password: {e}"))?;
    if first != again {
        return Err("the passwords differ".into());
    }
    Ok(first)
}

async fn create_user(settings: Settings, args: CreateUserArgs) -> i32 {
    use crate::services::auth::Authenticator;
    use crate::services::users::{create_account, AccountError, NewAccount};

    let password = match read_password(args.password_stdin) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("yizhan: {e}");
            return 2;
        }
    };
    let db = match prepared_database(&settings).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("yizhan: {e}");
            return 1;
        }
    };
    let auth = match Authenticator::new(db.clone(), &settings.auth) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("yizhan: {e}");
            return 1;
        }
    };
    let department = match args.department.as_deref() {
        None => None,
        Some(text) => match crate::services::pickers::department_by_reference(&db, text).await {
            Ok(d) => Some((d.id, d.name)),
            Err(e) => {
                eprintln!("yizhan: department: {e}");
                return 2;
            }
        },
    };
    let input = NewAccount {
        email: args.email,
        display_name: args.name,
        phone: args.phone,
        role: args.role,
        department_id: department.as_ref().map(|(id, _)| *id),
        enterprise_id: args.enterprise,
        password,
        locale: Some(args.locale),
    };
    match create_account(&db, &auth, input, None, Clock::system().now()).await {
        Ok(user) => {
            println!(
                "created user {} <{}> ({})",
                user.id,
                user.email,
                user.role.as_str()
            );
            if let Some((id, name)) = &department {
                println!("  department {id}: {name}");
            }
            0
        }
        Err(AccountError::Invalid(problems)) => {
            for p in problems {
                eprintln!("yizhan: {}: {}", p.field, phrase(Lang::En, &p.what));
            }
            2
        }
        Err(e) => {
            eprintln!("yizhan: {e}");
            1
        }
    }
}

async fn import_calendar(settings: Settings, file: std::path::PathBuf) -> i32 {
    use crate::services::calendar::{import, CalendarError};
    let text = match std::fs::read(&file) {
        Ok(b) => match String::from_utf8(b) {
            Ok(t) => t,
            Err(_) => {
                eprintln!("yizhan: {} is not UTF-8 text", file.display());
                return 2;
            }
        },
        Err(e) => {
            eprintln!("yizhan: cannot read {}: {e}", file.display());
            return 2;
        }
    };
    let db = match prepared_database(&settings).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("yizhan: {e}");
            return 1;
        }
    };
    let sla = crate::services::sla::Sla::new(Clock::system(), &settings.sla);
    match import(&db, &sla, &text).await {
        Ok(loaded) => {
            for (year, (holidays, workdays)) in loaded.years {
                println!("{year}: {holidays} holidays, {workdays} make-up workdays");
            }
            println!(
                "{} open tickets' deadlines moved with the new calendar",
                loaded.deadlines_moved
            );
            0
        }
        Err(CalendarError::Invalid(lines)) => {
            for l in &lines {
                eprintln!("line {}: {}", l.line, phrase(Lang::En, &l.what));
            }
            eprintln!("yizhan: the calendar is invalid; nothing was changed");
            2
        }
        Err(e) => {
            eprintln!("yizhan: {e}");
            1
        }
    }
}

async fn import(settings: Settings, args: ImportArgs, enterprises: bool) -> i32 {
    use crate::services::imports::{import_enterprises, import_whitelist, read_table, ImportError};

    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("yizhan: cannot read {}: {e}", args.file.display());
            return 2;
        }
    };
    let table = match read_table(&bytes) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("yizhan: {e}");
            return 2;
        }
    };
    let db = match prepared_database(&settings).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("yizhan: {e}");
            return 1;
        }
    };
    let bar = indicatif::ProgressBar::new(table.rows.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {elapsed_precise}")
            .expect("valid template"),
    );
    let tick = bar.clone();
    let progress = move |done: usize| tick.set_position(done as u64);
    let result = if enterprises {
        import_enterprises(
            &db,
            table,
            args.dry_run,
            args.allow_renames,
            None,
            Clock::system().now(),
            progress,
        )
        .await
    } else {
        import_whitelist(
            &db,
            table,
            args.dry_run,
            None,
            Clock::system().now(),
            progress,
        )
        .await
    };
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(ImportError::File(why)) => {
            eprintln!("yizhan: {}", phrase(Lang::En, &why));
            return 2;
        }
        Err(e) => {
            eprintln!("yizhan: {e}");
            return 1;
        }
    };
    for e in &report.errors {
        eprintln!("row {}, {}: {}", e.row, e.column, phrase(Lang::En, &e.what));
    }
    for r in &report.renames {
        println!(
            "row {}: white-listed {} renamed “{}” -> “{}”",
            r.row, r.credit_code, r.from, r.to
        );
    }
    let verb = if report.applied() {
        "imported"
    } else {
        "would import"
    };
    println!(
        "{verb} {} rows: {} new, {} changed, {} unchanged; {} errors{}",
        report.rows,
        report.inserted,
        report.updated,
        report.unchanged,
        report.errors.len(),
        if report.errors.is_empty() || args.dry_run {
            ""
        } else {
            "; nothing was imported"
        }
    );
    if report.errors.is_empty() {
        0
    } else {
        2
    }
}

/// The configured database, migrated and loaded with reference data.
async fn prepared_database(settings: &Settings) -> Result<crate::storage::Database, String> {
    let s = settings.clone();
    tokio::task::spawn_blocking(move || startup::migrate(&s))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    crate::storage::Database::connect(&settings.database)
}
