//! ReplicaScope front end: a Yew app that draws the engine's runs.
//!
//! Only `app` and the components touch the web; everything else here is plain Rust and tested
//! natively.

pub mod budget;
pub mod checker;
pub mod clock_text;
pub mod derive;
pub mod geometry;
pub mod pace;
pub mod presets;
pub mod reading;
pub mod sample;
pub mod session;
pub mod tour;

#[cfg(target_arch = "wasm32")]
pub mod app;

#[cfg(target_arch = "wasm32")]
pub use app::start;
