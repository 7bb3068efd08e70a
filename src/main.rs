use clap::Parser;

fn main() {
    yizhan::security::passwords::return_freed_work_areas();
    let code = actix_web::rt::System::new().block_on(yizhan::cli::run(yizhan::cli::Cli::parse()));
    std::process::exit(code);
}
