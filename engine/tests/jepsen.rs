//! Histories as Jepsen and Knossos write them, and the conventions their checkers assume. The
//! histories here are written for these tests, in the shapes Knossos' published corpus uses.

use replicascope_engine::checker::AnomalyKind;
use replicascope_engine::jepsen::{
    check_imported, check_model_edn, import_edn, import_edn_with, Conventions, ModelKind, ModelReport, NilRead,
};
use replicascope_engine::linearizability::Verdict;

const KNOSSOS: Conventions = Conventions { initial: Some(0), nil_read: NilRead::Any };

fn verdict(text: &str, c: Conventions) -> Option<bool> {
    check_imported(&import_edn_with(text, c).unwrap_or_else(|e| panic!("{e}\n{text}")), 1_000_000).linearizable
}

/// Every construct a Jepsen or Knossos history uses, in one file: a list of maps (not a vector),
/// `;` comments, `#_` discards, extra keys, a nemesis, an :info, a failed write with an :error,
/// a cas with a nested vector, a tagged `#jepsen.history.Op` record and a `#inst` time, a set
/// in an :error, a string key, and an operation never completed.
const EVERY_CONSTRUCT: &str = r#"; a history in Knossos' list form
(
 {:type :invoke, :f :write, :value 1, :process 0, :time 10, :index 0}
 {:type :ok, :f :write, :value 1, :process 0, :time 20, :index 1, :node "n1"}
 #_ {:type :invoke, :f :write, :value 99, :process 0}
 {:process :nemesis, :type :info, :f :start-partition, :value #{"n1" "n2"}}
 {:type :invoke, :f :cas, :value [1 2], :process 1, :time 30}
 {:type :ok, :f :cas, :value [1 2], :process 1, :time 40}
 {:type :invoke, :f :write, :value 3, :process 2, :time 50}
 {:type :info, :f :write, :value 3, :process 2, :time 60, :error :timeout}
 {:type :invoke, :f :write, :value 5, :process 3, :time 70}
 {:type :fail, :f :write, :value 5, :process 3, :time 80, :error [:temporarily-unavailable nil]}
 #jepsen.history.Op{:index 11, :time 90, :type :invoke, :process 4, :f :read, :value nil}
 #jepsen.history.Op{:index 12, :time 100, :type :ok, :process 4, :f :read, :value 3, :wall #inst "2024-01-01T00:00:00Z"}
 {:type :invoke, :f :read, :value nil, :process 5, :time 110}
)
"#;

#[test]
fn every_construct_of_a_jepsen_history_is_read() {
    let imported = import_edn(EVERY_CONSTRUCT).unwrap();
    assert_eq!(imported.history.ops.len(), 5, "write, cas, info write, failed write, read");
    let notes = imported.notes.join(" | ");
    assert!(notes.contains("line 15: never completed"), "real line numbers: {notes}");
    assert!(notes.contains("1 nemesis"), "{notes}");
    assert!(notes.contains("#jepsen.history.Op"), "{notes}");
    // The read of 3 after the cas to 2 is explained by the :info write of 3.
    let report = check_imported(&imported, 100_000);
    assert_eq!(report.linearizable, Some(true), "{report:#?}");
    // Errors name the line the element starts on, inside a collection too.
    let broken = "[{:process 0 :type :invoke :f :write :value 1}\n {:process 0 :type :ok :f :frob :value 1}]";
    let e = import_edn(broken).unwrap_err();
    assert!(e.starts_with("line 2:"), "{e}");
    let unterminated = "(\n{:process 0 :type :invoke :f :read :value nil}\n";
    assert!(import_edn(unterminated).unwrap_err().contains("line 3"));
}

/// Knossos checks its cas-register histories against a register that starts at 0, and lets a nil
/// read match anything. ReplicaScope's default (empty, nil = absent) keeps its own verdicts.
#[test]
fn both_nil_read_conventions_and_an_initial_value() {
    // A read invoked with nil and completed with nil: under Knossos' convention it says nothing;
    // under ReplicaScope's it says "the key did not exist", which a completed write contradicts.
    let nil_after_write = "\
{:process 0, :type :invoke, :f :write, :value 1}
{:process 0, :type :ok, :f :write, :value 1}
{:process 1, :type :invoke, :f :read, :value nil}
{:process 1, :type :ok, :f :read, :value nil}
";
    assert_eq!(verdict(nil_after_write, Conventions::default()), Some(false));
    assert_eq!(verdict(nil_after_write, KNOSSOS), Some(true));
    let c = Conventions { nil_read: NilRead::Any, initial: None };
    let imported = import_edn_with(nil_after_write, c).unwrap();
    assert!(imported.notes.iter().any(|n| n.contains("constrain nothing")));
    // No stale-read verdict for a read that constrains nothing.
    assert!(!check_imported(&imported, 1000).anomalies.iter().any(|a| a.is(AnomalyKind::StaleRead)));

    // A cas from 0 before any write: only possible if the register starts at 0.
    let cas_from_zero = "\
{:process 0, :type :invoke, :f :cas, :value [0 2]}
{:process 0, :type :ok, :f :cas, :value [0 2]}
{:process 1, :type :invoke, :f :read, :value nil}
{:process 1, :type :ok, :f :read, :value 2}
";
    assert_eq!(verdict(cas_from_zero, Conventions::default()), Some(false));
    assert_eq!(verdict(cas_from_zero, KNOSSOS), Some(true));
    // A read of 0 before any write, likewise.
    let read_zero = "{:process 1, :type :invoke, :f :read, :value nil}\n{:process 1, :type :ok, :f :read, :value 0}\n";
    assert_eq!(verdict(read_zero, Conventions::default()), Some(false));
    assert_eq!(verdict(read_zero, KNOSSOS), Some(true));

    // Histories whose nil means absent keep their verdicts under the default: a read of nil
    // before any write is fine, a read of nil after a write is not.
    let nil_first = "{:process 1, :type :invoke, :f :read, :value nil}\n{:process 1, :type :ok, :f :read, :value nil}\n{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1}\n";
    assert_eq!(verdict(nil_first, Conventions::default()), Some(true));
    // The non-linearizable shapes Knossos' bad corpus is made of stay so under its conventions:
    // a concurrent read of a value nobody wrote, and a read of a failed write.
    let never_written = "({:type :invoke, :f :write, :value 0, :process 0}\n {:type :ok, :f :write, :value 0, :process 0}\n {:type :invoke, :f :read, :value nil, :process 1}\n {:type :invoke, :f :write, :value 4, :process 2}\n {:type :ok, :f :read, :value 3, :process 1}\n {:type :ok, :f :write, :value 4, :process 2})";
    assert_eq!(verdict(never_written, KNOSSOS), Some(false));
    let failed_then_read = "[{:type :invoke, :process 1, :f :read, :value nil}\n{:type :invoke, :process 101, :f :write, :value 3}\n{:type :fail, :process 101, :f :write, :value 3}\n{:type :ok, :process 1, :f :read, :value 3}]";
    assert_eq!(verdict(failed_then_read, KNOSSOS), Some(false));
}

/// Jepsen numbers a crashed process's successor afresh (process + concurrency), so a long run
/// names thousands of processes though only a few run at once. Each crash frees its lane.
#[test]
fn thousands_of_crashed_processes_fit_in_the_lanes_of_those_running_at_once() {
    let mut text = String::from("[\n");
    for p in 0..3_000 {
        text.push_str(&format!("{{:process {p} :type :invoke :f :write :value {p}}}\n"));
        text.push_str(&format!("{{:process {p} :type :info :f :write :value {p}}}\n"));
    }
    text.push_str(
        "{:process 5000 :type :invoke :f :read :value nil}\n{:process 5000 :type :ok :f :read :value 2999}\n]",
    );
    let imported = import_edn(&text).unwrap_or_else(|e| panic!("{e}"));
    let lanes: std::collections::BTreeSet<u8> = imported.history.ops.iter().map(|o| o.session.0).collect();
    assert_eq!(lanes.len(), 1, "one process at a time needs one lane: {lanes:?}");
    assert_eq!(check_imported(&imported, 1_000_000).linearizable, Some(true));
    // A process that completes normally keeps its lane; 257 live ones are refused with a reason.
    let mut at_once = String::from("[\n");
    for p in 0..257 {
        at_once.push_str(&format!("{{:process {p} :type :invoke :f :read :value nil}}\n"));
    }
    for p in 0..257 {
        at_once.push_str(&format!("{{:process {p} :type :ok :f :read :value nil}}\n"));
    }
    at_once.push(']');
    let e = import_edn(&at_once).unwrap_err();
    assert!(e.contains("more than 256 live processes"), "{e}");
}

fn model_verdict(text: &str, model: ModelKind, c: Conventions) -> ModelReport {
    check_model_edn(text, model, c, 1_000_000).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Porcupine's key-value histories: one line per event, `:key` beside `:value`, strings.
#[test]
fn key_value_histories_in_porcupines_shape() {
    let ok = r#"{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :invoke, :f :append, :key "0", :value "x 1 0 y"}
{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :ok, :f :append, :key "0", :value "x 1 0 y"}
{:process 0, :type :invoke, :f :get, :key "0", :value nil}
{:process 0, :type :ok, :f :get, :key "0", :value "x 1 0 yx 0 0 y"}
{:process 1, :type :invoke, :f :get, :key "1", :value nil}
{:process 1, :type :ok, :f :get, :key "1", :value ""}
{:process 1, :type :invoke, :f :put, :key "1", :value "z"}
{:process 1, :type :ok, :f :put, :key "1", :value "z"}
{:process 0, :type :invoke, :f :append, :key "1", :value "w"}
{:process 0, :type :info, :f :append, :key "1", :value "w"}
{:process 1, :type :invoke, :f :get, :key "1", :value nil}
{:process 1, :type :ok, :f :get, :key "1", :value "zw"}
"#;
    let report = model_verdict(ok, ModelKind::Kv, Conventions::default());
    assert_eq!(
        report.linearizable,
        Some(true),
        "concurrent appends in either order, a crashed append seen: {report:#?}"
    );
    assert_eq!(report.linearizability.len(), 2, "checked key by key");
    // One process appends twice, then reads back only the first: an append was lost.
    let lost = r#"{:process 0, :type :invoke, :f :append, :key "7", :value "a"}
{:process 0, :type :ok, :f :append, :key "7", :value "a"}
{:process 0, :type :invoke, :f :append, :key "7", :value "b"}
{:process 0, :type :ok, :f :append, :key "7", :value "b"}
{:process 0, :type :invoke, :f :get, :key "7", :value nil}
{:process 0, :type :ok, :f :get, :key "7", :value "a"}
"#;
    let report = model_verdict(lost, ModelKind::Kv, Conventions::default());
    assert_eq!(report.linearizable, Some(false));
    match &report.linearizability[0].1 {
        Verdict::NotLinearizable { ops, explanation } => {
            assert!(ops.contains(&5), "names the get by its invocation line: {ops:?}");
            assert!(explanation.contains("get → \"a\""), "{explanation}");
        }
        v => panic!("{v:?}"),
    }
    // The register model refuses such a file with a pointer to --model.
    let e = import_edn(lost).unwrap_err();
    assert!(e.contains(":append is not a register operation") && e.contains("--model"), "{e}");
    let e =
        check_model_edn("{:process 0, :type :invoke, :f :get, :value nil}", ModelKind::Kv, Conventions::default(), 10)
            .unwrap_err();
    assert!(e.contains("line 1") && e.contains(":key"), "{e}");
}

/// Knossos' multi-register: transactions over several registers; the invocation's reads are nil,
/// the completion's carry the values read.
#[test]
fn multi_register_transactions_in_knossos_shape() {
    let torn = "[{:process 0, :type :invoke, :f :txn, :value [[:write :x 1] [:write :y 1]]}
 {:process 0, :type :ok, :f :txn, :value [[:write :x 1] [:write :y 1]]}
 {:process 1, :type :invoke, :f :txn, :value [[:read :x nil] [:read :y nil]]}
 {:process 1, :type :ok, :f :txn, :value [[:read :x 1] [:read :y 0]]}]";
    // Registers start at 0 here: y read 0 after the transaction that wrote 1 completed.
    let c = Conventions { initial: Some(0), nil_read: NilRead::Any };
    let report = model_verdict(torn, ModelKind::MultiRegister, c);
    assert_eq!(report.linearizable, Some(false), "{report:#?}");
    let whole = torn.replace("[:read :y 0]", "[:read :y 1]");
    assert_eq!(model_verdict(&whole, ModelKind::MultiRegister, c).linearizable, Some(true));
    // A nil read step constrains nothing under Knossos' convention, and means "never written"
    // under ReplicaScope's.
    let nil = torn.replace("[:read :y 0]", "[:read :y nil]");
    assert_eq!(model_verdict(&nil, ModelKind::MultiRegister, c).linearizable, Some(true));
    assert_eq!(model_verdict(&nil, ModelKind::MultiRegister, Conventions::default()).linearizable, Some(false));
    let e =
        check_model_edn("{:process 0, :type :invoke, :f :txn, :value [[:read :x]]}", ModelKind::MultiRegister, c, 10)
            .unwrap_err();
    assert!(e.contains("line 1") && e.contains("[:read k v]"), "{e}");
}

/// Knossos' mutex: two holders at once is the violation; a crashed acquire may or may not hold it.
#[test]
fn mutex_histories_in_knossos_shape() {
    let two = "{:process 0, :type :invoke, :f :acquire, :value nil}
{:process 0, :type :ok, :f :acquire, :value nil}
{:process 1, :type :invoke, :f :acquire, :value nil}
{:process 1, :type :ok, :f :acquire, :value nil}";
    let report = model_verdict(two, ModelKind::Mutex, Conventions::default());
    match &report.linearizability[0].1 {
        Verdict::NotLinearizable { ops, explanation } => {
            assert!(ops.contains(&3), "{ops:?}");
            assert!(explanation.contains("held"), "{explanation}");
        }
        v => panic!("{v:?}"),
    }
    let handed_over = "{:process 0, :type :invoke, :f :acquire, :value nil}
{:process 0, :type :ok, :f :acquire, :value nil}
{:process 1, :type :invoke, :f :acquire, :value nil}
{:process 0, :type :invoke, :f :release, :value nil}
{:process 0, :type :info, :f :release, :value nil}
{:process 1, :type :ok, :f :acquire, :value nil}";
    assert_eq!(model_verdict(handed_over, ModelKind::Mutex, Conventions::default()).linearizable, Some(true));
    let e = check_model_edn(two.replace(":acquire", ":lock").as_str(), ModelKind::Mutex, Conventions::default(), 10)
        .unwrap_err();
    assert!(e.contains(":lock is not a mutex operation"), "{e}");
    assert_eq!(ModelKind::parse("cas-register"), Some(ModelKind::Register));
    assert_eq!(ModelKind::parse("queue"), None);
}

/// What the page draws of an imported history: the objects, their verdicts, the fewest
/// operations that show a violation (named by their lines), the sentence, and the layout.
#[test]
fn a_history_diagram_names_the_fewest_operations_and_why() {
    use replicascope_engine::jepsen::diagram;
    // A stale read among bystanders: write 1, then write 2, then a read of 1 that began after
    // the write of 2 ended. Process 3's reads are concurrent and harmless.
    let text = "\
{:process 4, :type :invoke, :f :write, :value 3}
{:process 0, :type :invoke, :f :write, :value 1}
{:process 3, :type :invoke, :f :read, :value nil}
{:process 0, :type :ok, :f :write, :value 1}
{:process 3, :type :ok, :f :read, :value 1}
{:process 1, :type :invoke, :f :write, :value 2}
{:process 1, :type :ok, :f :write, :value 2}
{:process 3, :type :invoke, :f :read, :value nil}
{:process 3, :type :ok, :f :read, :value 2}
{:process 2, :type :invoke, :f :read, :value nil}
{:process 2, :type :ok, :f :read, :value 1}
{:process 4, :type :info, :f :write, :value 3}
";
    let d = diagram(text, ModelKind::Register, Conventions::default(), 100_000).unwrap();
    assert_eq!(d.linearizable, Some(false));
    assert_eq!((d.operations, d.processes), (6, 5));
    let register = &d.objects[0];
    let v = register.violation.as_ref().expect("a violation");
    assert_eq!(v.ops, vec![2, 6, 10], "write 1, write 2, read 1 — by their invocation lines: {v:?}");
    assert!(v.minimal);
    let story = register.story.as_deref().unwrap();
    assert!(
        story.contains("“write 1” (process 0) ended before “write 2” (process 1) began")
            && story.contains("“write 2” (process 1) ended before “read 1” (process 2) began"),
        "{story}"
    );
    let layout = register.layout(100);
    assert_eq!(layout.lanes, vec![0, 1, 2, 3, 4]);
    assert_eq!(layout.bars.iter().filter(|b| b.violating).count(), 3);
    // The crashed write runs to the right edge: it may take effect at any later moment.
    let crashed = layout.bars.iter().find(|b| b.label == "write 3").unwrap();
    assert!(crashed.open && crashed.end == layout.columns);
    // Columns are the distinct moments: bars that do not overlap do not share a column.
    let bar = |line| layout.bars.iter().find(|b| b.line == line).unwrap();
    assert!(bar(2).end < bar(6).start && bar(6).end < bar(10).start, "{layout:#?}");
    // A small limit keeps the violation and drops bystanders first.
    let small = register.layout(3);
    assert_eq!(small.shown, 3);
    assert!(small.bars.iter().all(|b| b.violating));
    // Linearizable once the read is moved before the second write.
    let fine = text.replace(":process 2, :type :ok, :f :read, :value 1", ":process 2, :type :ok, :f :read, :value 2");
    let d = diagram(&fine, ModelKind::Register, Conventions::default(), 100_000).unwrap();
    assert_eq!(d.linearizable, Some(true));
    assert!(d.objects[0].violation.is_none() && d.objects[0].story.is_none());
    assert_eq!(d.objects[0].layout(2).shown, 2, "without a violation, the first operations");
    // Conventions apply: under Knossos' a nil read constrains nothing.
    let nil = "{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value nil}\n\
               {:process 1, :type :invoke, :f :write, :value 1}\n{:process 1, :type :ok, :f :write, :value 1}\n";
    assert_eq!(diagram(nil, ModelKind::Register, KNOSSOS, 1000).unwrap().linearizable, Some(true));
    // Bad files: the line and the reason, never a panic.
    let e = diagram("{:process 0, :type :ok, :f :read, :value 1}", ModelKind::Register, Conventions::default(), 10)
        .unwrap_err();
    assert!(e.contains("line 1"), "{e}");
    let e = diagram("not edn at all {", ModelKind::Kv, Conventions::default(), 10).unwrap_err();
    assert!(e.contains("line 1"), "{e}");
}

/// The other models draw the same way: a lost append on a key, two holders of a mutex.
#[test]
fn diagrams_of_the_other_models() {
    use replicascope_engine::jepsen::diagram;
    let lost = r#"{:process 0, :type :invoke, :f :append, :key "7", :value "a"}
{:process 0, :type :ok, :f :append, :key "7", :value "a"}
{:process 1, :type :invoke, :f :append, :key "7", :value "b"}
{:process 1, :type :ok, :f :append, :key "7", :value "b"}
{:process 2, :type :invoke, :f :get, :key "7", :value nil}
{:process 2, :type :ok, :f :get, :key "7", :value "a"}
{:process 2, :type :invoke, :f :get, :key "8", :value nil}
{:process 2, :type :ok, :f :get, :key "8", :value ""}
"#;
    let d = diagram(lost, ModelKind::Kv, Conventions::default(), 100_000).unwrap();
    assert_eq!(d.objects.len(), 2, "key by key");
    let seven = d.objects.iter().find(|o| o.name == "7").unwrap();
    let v = seven.violation.as_ref().unwrap();
    // Appends change the state without setting it: all of them stay, with the get.
    assert_eq!(v.ops, vec![1, 3, 5], "{v:?}");
    assert!(seven.story.as_deref().unwrap().contains("“get → \"a\"” (process 2)"), "{:?}", seven.story);
    assert!(d.objects.iter().find(|o| o.name == "8").unwrap().violation.is_none());
    let two = "{:process 0, :type :invoke, :f :acquire, :value nil}
{:process 0, :type :ok, :f :acquire, :value nil}
{:process 1, :type :invoke, :f :acquire, :value nil}
{:process 1, :type :ok, :f :acquire, :value nil}";
    let d = diagram(two, ModelKind::Mutex, Conventions::default(), 100_000).unwrap();
    let v = d.objects[0].violation.as_ref().unwrap();
    assert_eq!(v.ops, vec![1, 3]);
    assert!(d.objects[0].story.as_deref().unwrap().contains("ended before"), "{:?}", d.objects[0].story);
}

/// `:time` is in nanoseconds and Jepsen's events are often less than a microsecond apart: their
/// order must survive. A read that began 10 ns after a write completed and missed it is a
/// violation; rounded to microseconds the two would be concurrent and the read fine. Such a
/// history, 10,000 operations long, is decided at once rather than exhausting the search.
#[test]
fn nanoseconds_apart_are_still_in_order() {
    let text = "{:process 0, :type :invoke, :f :write, :value 1, :time 1000}
{:process 0, :type :ok, :f :write, :value 1, :time 1010}
{:process 1, :type :invoke, :f :read, :value nil, :time 1020}
{:process 1, :type :ok, :f :read, :value nil, :time 1030}";
    assert_eq!(verdict(text, Conventions::default()), Some(false));
    let mut lines = Vec::new();
    for i in 0..5_000u64 {
        let t = i * 40;
        let seen = if i == 3_500 { 3_400 } else { i };
        lines.push(format!("{{:process {}, :type :invoke, :f :write, :value {i}, :time {t}}}", i % 10));
        lines.push(format!("{{:process {}, :type :ok, :f :write, :value {i}, :time {}}}", i % 10, t + 10));
        lines.push(format!("{{:process {}, :type :invoke, :f :read, :value nil, :time {}}}", i % 10, t + 20));
        lines.push(format!("{{:process {}, :type :ok, :f :read, :value {seen}, :time {}}}", i % 10, t + 30));
    }
    let imported = import_edn(&lines.join("\n")).unwrap();
    let report = check_imported(&imported, 200_000);
    assert_eq!(report.linearizable, Some(false), "{:?}", report.linearizability);
}
