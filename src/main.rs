fn main() {
    helm_harden::render::interrupt::install();
    let code = helm_harden::cli::main();
    // Renders of a cold cache are stored once their helm's version is known.
    helm_harden::render::cache::finish();
    std::process::exit(code);
}
