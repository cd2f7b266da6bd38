fn main() {
    std::process::exit(helm_harden::cli::main());
}
