//! `cargo xtask`: workspace automation.

fn main() {
    let cmd = std::env::args().nth(1);
    match cmd.as_deref() {
        None | Some("help") | Some("--help") | Some("-h") => print_help(),
        Some(other) => {
            eprintln!("error: unknown xtask command `{other}`\n");
            print_help();
            std::process::exit(2);
        }
    }
}

fn print_help() {
    println!(
        "cargo xtask <command>\n\n\
         commands:\n  \
           help              print this help\n"
    );
}
