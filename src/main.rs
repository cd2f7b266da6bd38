fn main() {
    helm_harden::render::interrupt::install();
    std::process::exit(helm_harden::cli::main());
}
