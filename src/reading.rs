//! Reading scenario files (JSON) for the page, in a Web Worker of their own
//! (`scenario_worker.rs`), loaded when the page first reads one: a file dropped on the page, or
//! the editor's text. The page itself has no JSON reader for scenarios (its presets are compiled
//! in, `presets.rs`; links are bytes or `key=value`), which keeps the reader's code out of the
//! page's first load. Plain Rust, tested natively; `app/reader.rs` asks.
//!
//! The page asks with `"<id>\n<text>"`; the worker answers with bytes (postcard, the form compact
//! links use): the id and the scenario, or its problems, each with the field it is about.

use replicascope_engine::page::Scenario;

/// What a scenario file's text reads as: the scenario, or each problem as (field path, message).
pub type Reading = Result<Scenario, Vec<(String, String)>>;

/// The page's question: read `text`; `id` comes back with the answer.
pub fn request(id: u32, text: &str) -> String {
    format!("{id}\n{text}")
}

/// The worker's whole job: a question in, the answer's bytes out.
pub fn answer(request: &str) -> Vec<u8> {
    let (id, reading) = match request.split_once('\n').and_then(|(id, text)| Some((id.parse::<u32>().ok()?, text))) {
        Some((id, text)) => {
            (id, Scenario::from_json(text).map_err(|p| p.items.into_iter().map(|i| (i.field, i.message)).collect()))
        }
        None => (0, Err(vec![(String::new(), "the scenario reader could not read the page's question".to_string())])),
    };
    postcard::to_allocvec(&(id, &reading)).unwrap_or_else(|e| {
        let failed: Reading =
            Err(vec![(String::new(), format!("the scenario reader could not write its answer: {e}"))]);
        postcard::to_allocvec(&(id, failed)).unwrap_or_default()
    })
}

/// The page's side: the id and the reading, from the worker's bytes.
pub fn read_answer(bytes: &[u8]) -> Result<(u32, Reading), String> {
    postcard::from_bytes(bytes).map_err(|e| format!("the scenario reader answered something unreadable ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::default_scenario;

    fn ask(id: u32, text: &str) -> (u32, Reading) {
        read_answer(&answer(&request(id, text))).expect("answers read")
    }

    #[test]
    fn a_file_reads_as_the_engine_reads_it_with_its_problems_by_field() {
        let s = default_scenario();
        assert_eq!(ask(7, &s.to_json()), (7, Ok(s.clone())));
        // Every preset, as its file says it.
        for p in replicascope_engine::page::PRESETS {
            assert_eq!(ask(1, p.json).1, Ok(crate::presets::preset(p.id).unwrap()), "{}", p.id);
        }
        // A problem comes with the field it is about, exactly as `Scenario::from_json` says it.
        let bad = s.to_json().replacen("\"mode\": \"async\"", "\"mode\": \"sometimes\"", 1);
        assert_ne!(bad, s.to_json(), "the default preset is asynchronous");
        let (id, reading) = ask(2, &bad);
        assert_eq!(id, 2);
        let problems = reading.unwrap_err();
        let engine: Vec<(String, String)> =
            Scenario::from_json(&bad).unwrap_err().items.into_iter().map(|i| (i.field, i.message)).collect();
        assert_eq!(problems, engine);
        assert!(problems[0].0.contains("mode"), "{problems:?}");
        // Not JSON, empty, not an object.
        for text in ["", "{", "[1, 2]", "not json", "{\"name\": 3}"] {
            assert!(!ask(3, text).1.unwrap_err().is_empty(), "{text:?}");
        }
    }

    #[test]
    fn bad_questions_and_damaged_answers_are_refused_with_a_reason() {
        for q in ["", "no id", "x\n{}", "-1\n{}", "99999999999\n{}"] {
            let (id, reading) = read_answer(&answer(q)).unwrap();
            assert_eq!(id, 0);
            assert!(reading.unwrap_err()[0].1.contains("could not read"), "{q:?}");
        }
        let bytes = answer(&request(5, &default_scenario().to_json()));
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(read_answer(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        for b in flipped.iter_mut().step_by(3) {
            *b ^= 0xa5;
        }
        let _ = read_answer(&flipped);
    }
}
