fn main() {
    helm_harden::interrupt::install();
    std::process::exit(helm_harden::cli::main());
}
