//! The history checker's protocol: what the page asks its worker and what the worker answers.
//! Plain Rust, tested natively; `worker.rs` runs [`answer`] in a Web Worker and `app/history.rs`
//! asks. The page asks in JSON text; the worker answers in bytes (postcard, the form compact
//! links use), which the page reads without a JSON reader for the answer's many types.

use replicascope_engine::page::{diagram, Conventions, HistoryDiagram, ModelKind, STATE_BUDGET};

/// The most operations drawn of one object (around its violation, or its first ones).
pub const SHOWN: usize = 120;
/// The most objects (keys) listed: every one that fails, and up to this many others.
pub const LISTED: usize = 500;
use serde::{Deserialize, Serialize};

/// Check `text` as a history of `model` under `conventions`. `id` comes back with the answer, so
/// that the page can drop answers to questions it no longer asks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u32,
    pub text: String,
    pub model: ModelKind,
    pub conventions: Conventions,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub id: u32,
    /// The checked history, or why the file cannot be read as one.
    pub result: Result<HistoryDiagram, String>,
}

/// The worker's whole job: a request's JSON in, the answer's bytes out ([`read_answer`] reads
/// them).
pub fn answer(request: &str) -> Vec<u8> {
    let answer = match serde_json::from_str::<Request>(request) {
        Ok(r) => {
            let mut result = diagram(&r.text, r.model, r.conventions, STATE_BUDGET);
            // Only what the page draws crosses over: a long history's answer stays small.
            if let Ok(d) = result.as_mut() {
                d.keep_drawn(SHOWN, LISTED);
            }
            Answer { id: r.id, result }
        }
        Err(e) => Answer { id: 0, result: Err(format!("the checker could not read the page's request: {e}")) },
    };
    postcard::to_allocvec(&answer).unwrap_or_else(|e| {
        let failed = Answer { id: answer.id, result: Err(format!("the checker could not write its answer: {e}")) };
        postcard::to_allocvec(&failed).unwrap_or_default()
    })
}

/// The page's side: an answer from its bytes, or why they do not read as one.
pub fn read_answer(bytes: &[u8]) -> Result<Answer, String> {
    postcard::from_bytes(bytes).map_err(|e| format!("The history checker answered something unreadable ({e})."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use replicascope_engine::page::NilRead;

    fn ask(text: &str, model: ModelKind, conventions: Conventions) -> Answer {
        let request = serde_json::to_string(&Request { id: 7, text: text.into(), model, conventions }).unwrap();
        read_answer(&answer(&request)).unwrap()
    }

    #[test]
    fn the_answer_is_the_diagram_the_engine_draws_whole_after_the_round_trip() {
        let text = "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n\
                    {:process 1, :type :invoke, :f :read, :value nil}\n{:process 1, :type :ok, :f :read, :value nil}\n";
        let a = ask(text, ModelKind::Register, Conventions::default());
        assert_eq!(a.id, 7);
        let mut expected = diagram(text, ModelKind::Register, Conventions::default(), STATE_BUDGET).unwrap();
        expected.keep_drawn(SHOWN, LISTED);
        assert_eq!(a.result, Ok(expected.clone()));
        assert_eq!(expected.linearizable, Some(false), "a read of nothing after the write completed");
        // Under Knossos' conventions the nil read matches anything.
        let knossos = Conventions { initial: Some(0), nil_read: NilRead::Any };
        assert_eq!(ask(text, ModelKind::Register, knossos).result.unwrap().linearizable, Some(true));
    }

    /// A long history's answer carries only the operations drawn, and draws the same.
    #[test]
    fn a_long_history_is_answered_with_what_is_drawn() {
        let mut lines = Vec::new();
        for i in 0..2_000u64 {
            let seen = if i == 1_500 { 1_400 } else { i };
            lines.push(format!("{{:process {}, :type :invoke, :f :write, :value {i}}}", i % 5));
            lines.push(format!("{{:process {}, :type :ok, :f :write, :value {i}}}", i % 5));
            lines.push(format!("{{:process {}, :type :invoke, :f :read, :value nil}}", i % 5));
            lines.push(format!("{{:process {}, :type :ok, :f :read, :value {seen}}}", i % 5));
        }
        let text = lines.join("\n");
        let whole = diagram(&text, ModelKind::Register, Conventions::default(), STATE_BUDGET).unwrap();
        let answered = ask(&text, ModelKind::Register, Conventions::default()).result.unwrap();
        assert_eq!(whole.objects[0].ops.len(), 4_000);
        assert!(answered.objects[0].ops.len() <= SHOWN);
        assert_eq!(answered.objects[0].layout(SHOWN), whole.objects[0].layout(SHOWN), "the same drawing");
        assert_eq!(answered.objects[0].layout(SHOWN).total, 4_000);
        assert_eq!(answered.processes, 5, "counted over the whole history, not what is drawn");
        // Very many keys: those that fail, and the first others.
        let mut kv = Vec::new();
        for k in 0..(LISTED + 50) {
            kv.push(format!("{{:process 0, :type :invoke, :f :get, :key \"{k}\", :value nil}}"));
            let seen = if k == LISTED + 40 { "\"x\"" } else { "\"\"" };
            kv.push(format!("{{:process 0, :type :ok, :f :get, :key \"{k}\", :value {seen}}}"));
        }
        let d = ask(&kv.join("\n"), ModelKind::Kv, Conventions::default()).result.unwrap();
        assert_eq!(d.objects.len(), LISTED + 1);
        assert!(d.objects.iter().any(|o| o.name == (LISTED + 40).to_string() && o.violation.is_some()));
        assert!(d.notes.iter().any(|n| n.contains("every one that is not linearizable")), "{:?}", d.notes);
    }

    #[test]
    fn bad_files_and_bad_requests_are_answered_with_a_reason() {
        let a = ask("{:process 0, :type :ok, :f :read, :value 1}", ModelKind::Register, Conventions::default());
        assert!(a.result.unwrap_err().contains("line 1"));
        let a: Answer = read_answer(&answer("not json")).unwrap();
        assert!(a.result.unwrap_err().contains("could not read"));
    }

    #[test]
    fn damaged_answers_are_refused_with_a_reason_not_a_panic() {
        let bytes = answer(
            &serde_json::to_string(&Request {
                id: 3,
                text: "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}"
                    .into(),
                model: ModelKind::Register,
                conventions: Conventions::default(),
            })
            .unwrap(),
        );
        assert_eq!(read_answer(&bytes).unwrap().id, 3);
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(read_answer(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        for b in flipped.iter_mut().step_by(5) {
            *b ^= 0xff;
        }
        let _ = read_answer(&flipped);
    }
}
