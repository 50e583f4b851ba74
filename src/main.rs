//! The page's entry point: everything lives in the library (see `lib.rs`).

fn main() {
    switchboard::start();
}
