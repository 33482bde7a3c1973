//! How much engine work a frame asks for at a time. Plain Rust, tested natively.
//!
//! A frame computes the runs in chunks until its budget (a few milliseconds) is spent, checking
//! the clock between chunks. A fixed chunk cannot fit both ends of the page's life: right after
//! the page starts, WebAssembly runs in its baseline tier and 400 events a pane took 15–20 ms
//! (three panes: the page's first frame of work was a 60 ms task); warmed up, the same chunk
//! takes a millisecond. So the chunk follows the engine's measured speed: each is sized to take
//! about [`CHUNK_TARGET_MS`], from how long the last one took.

/// How long one chunk should take (wall milliseconds, all panes together).
pub const CHUNK_TARGET_MS: f64 = 2.0;
/// The first chunk, before anything is measured (events per pane).
pub const FIRST_CHUNK: u64 = 64;
/// Bounds on a chunk (events per pane).
pub const MIN_CHUNK: u64 = 16;
pub const MAX_CHUNK: u64 = 4096;

/// The next chunk after one of `steps` events per pane took `took_ms`: scaled toward
/// [`CHUNK_TARGET_MS`], changing at most fourfold at a time (one slow chunk, such as a garbage
/// collection, does not swing it), within [`MIN_CHUNK`]..=[`MAX_CHUNK`].
pub fn next_chunk(steps: u64, took_ms: f64) -> u64 {
    let steps = steps.clamp(MIN_CHUNK, MAX_CHUNK);
    let scaled = if took_ms.is_finite() && took_ms > 0.0 {
        (steps as f64 * CHUNK_TARGET_MS / took_ms).min(u64::MAX as f64) as u64
    } else {
        // Too fast to measure (or a clock that did not move).
        steps.saturating_mul(4)
    };
    scaled.clamp(steps / 4, steps.saturating_mul(4)).clamp(MIN_CHUNK, MAX_CHUNK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_follows_the_engines_speed_within_bounds() {
        // On target: unchanged.
        assert_eq!(next_chunk(400, CHUNK_TARGET_MS), 400);
        // Twice too slow: half; twice too fast: double.
        assert_eq!(next_chunk(400, 2.0 * CHUNK_TARGET_MS), 200);
        assert_eq!(next_chunk(400, CHUNK_TARGET_MS / 2.0), 800);
        // At most fourfold a step, either way.
        assert_eq!(next_chunk(400, 100.0), 100);
        assert_eq!(next_chunk(400, 0.001), 1600);
        // A clock that did not move, or nonsense, grows it fourfold.
        assert_eq!(next_chunk(400, 0.0), 1600);
        assert_eq!(next_chunk(400, f64::NAN), 1600);
        assert_eq!(next_chunk(400, -3.0), 1600);
        // Within bounds, from any start.
        assert_eq!(next_chunk(16, 1000.0), MIN_CHUNK);
        assert_eq!(next_chunk(0, 1000.0), MIN_CHUNK);
        assert_eq!(next_chunk(4096, 0.0), MAX_CHUNK);
        assert_eq!(next_chunk(u64::MAX, 0.0), MAX_CHUNK);
    }

    /// From the first chunk, a slow engine (the baseline tier: 25 µs an event) settles near the
    /// target within a few chunks, and a fast one climbs to it or to the bound.
    #[test]
    fn chunks_settle_near_the_target() {
        for us_per_event in [25.0, 1.0, 0.1] {
            let mut chunk = FIRST_CHUNK;
            for _ in 0..8 {
                chunk = next_chunk(chunk, chunk as f64 * us_per_event / 1000.0);
            }
            let took = chunk as f64 * us_per_event / 1000.0;
            assert!(
                (took - CHUNK_TARGET_MS).abs() <= 0.5 || chunk == MAX_CHUNK,
                "{us_per_event} µs/event: chunk {chunk} takes {took} ms"
            );
        }
    }
}
