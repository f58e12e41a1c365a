fn main() {
    eprintln!("usage: cargo xtask <serve|test>");
}
