//! The browser entry point. On native targets this binary only explains where to look.

fn main() {
    #[cfg(target_arch = "wasm32")]
    replicascope_app::start();
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("replicascope-app is the web front end; build it with `trunk build`. The CLI is `replicascope`.");
}
