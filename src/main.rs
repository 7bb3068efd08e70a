use clap::Parser;

#[actix_web::main]
async fn main() {
    let code = yizhan::cli::run(yizhan::cli::Cli::parse()).await;
    std::process::exit(code);
}
