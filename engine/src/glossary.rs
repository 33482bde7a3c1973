//! The words of replication the page uses, each explained in one sentence, and a splitter that
//! finds them in any text the page shows (captions, descriptions, anomaly explanations), so that
//! hovering or tapping a term explains it. Plain data; the page turns the pieces into elements
//! (never markup: the text may come from a stranger's link).

/// A term: the forms it appears in (matched as whole words, case-insensitively, longest first)
/// and what it means.
pub struct Term {
    pub forms: &'static [&'static str],
    pub meaning: &'static str,
}

pub const GLOSSARY: &[Term] = &[
    Term { forms: &["LSN", "LSNs", "log position"], meaning: "Log sequence number: the position of an entry in a node's replication log. A follower at LSN 40 has every change up to the 40th." },
    Term { forms: &["epoch", "epochs"], meaning: "A leader's term number. Each promotion starts a higher epoch, and nodes refuse a leader whose epoch is older than one they have already seen." },
    Term { forms: &["quorum", "quorums", "W + R > N"], meaning: "How many replicas must answer before a write (W of N) or a read (R of N) completes. When W + R > N, every read quorum overlaps every write quorum." },
    Term { forms: &["sloppy quorum", "sloppy quorums"], meaning: "When a key's home replicas cannot be reached, other nodes accept the write and hold it for them: writes stay available, but a read of the home replicas may miss them." },
    Term { forms: &["hinted handoff", "hint", "hints"], meaning: "A stand-in node that accepted a write for an unreachable replica keeps a note (a hint) and hands the write over once that replica is back." },
    Term { forms: &["sibling", "siblings"], meaning: "Concurrent versions of one key kept side by side instead of one being thrown away; a read returns all of them and the application merges them." },
    Term { forms: &["version vector", "version vectors", "vector clock", "vector clocks"], meaning: "One counter per replica attached to a value. Comparing two vectors tells whether one write came after the other or whether they were concurrent." },
    Term { forms: &["PBS"], meaning: "Probabilistically bounded staleness: how likely a read is to return the latest write, given N, W, R and the network's delays." },
    Term { forms: &["linearizable", "linearizability", "not linearizable"], meaning: "Behaving as if there were a single copy of the data and each operation took effect at one instant between its start and its end: once any read sees a new value, no later read returns an older one." },
    Term { forms: &["last write wins", "last-write-wins", "LWW"], meaning: "Conflicting writes are settled by timestamp: the one with the highest timestamp is kept and the others are silently discarded, even if they were acknowledged." },
    Term { forms: &["CRDT", "CRDTs"], meaning: "Conflict-free replicated data type: a value (a counter, a set) whose replicas can take updates independently and always merge to the same result, losing none." },
    Term { forms: &["G-counter"], meaning: "A grow-only counter CRDT: one count per replica, merged by taking the maximum of each, so no increment is lost; it cannot go down." },
    Term { forms: &["read repair"], meaning: "When a read sees replicas that disagree, the coordinator writes the newest version back to the stale ones." },
    Term { forms: &["anti-entropy"], meaning: "A background process in which replicas compare their data (with Merkle trees) and copy over what the other is missing, so that even keys nobody reads converge." },
    Term { forms: &["Merkle tree", "Merkle trees"], meaning: "A tree of hashes over a replica's keys. Two replicas compare roots, then only the branches that differ, and so find the few keys that differ without sending them all." },
    Term { forms: &["fencing", "STONITH"], meaning: "Making sure a deposed leader can no longer act: powering it off (\"shoot the other node in the head\") or having storage refuse its epoch, before a new leader takes over." },
    Term { forms: &["split-brain", "split brain"], meaning: "Two nodes both believe they are the leader and both accept writes; what one of them accepted is lost or conflicts when they meet." },
    Term { forms: &["failover"], meaning: "Replacing a failed leader: detecting the failure (a timeout), choosing a new leader, and sending clients and followers to it." },
    Term { forms: &["semi-sync", "semi-synchronous"], meaning: "The leader waits for at least one follower to have a write before acknowledging it, and falls back to asynchronous replication if none answers in time." },
    Term { forms: &["asynchronous"], meaning: "The leader acknowledges a write as soon as it has it, and sends it to followers afterwards: fast, but a crash loses what no follower has yet." },
    Term { forms: &["replication lag", "lag"], meaning: "How far a replica is behind the leader (or the other replicas): the time until a write reaches it." },
    Term { forms: &["flushed"], meaning: "Written durably to this node's log on disk, not yet applied to its data." },
    Term { forms: &["applied"], meaning: "Applied to this node's copy of the data: reads on this node see it." },
    Term { forms: &["committed"], meaning: "Acknowledged to the client under the replication mode's rule (on the leader alone, on some followers, or on all)." },
];

/// `text` cut into pieces: plain text (None) and terms (the glossary entry). Each term is marked
/// at its first appearance only, so a long text is not a wall of underlines.
pub fn gloss(text: &str) -> Vec<(Option<&'static Term>, &str)> {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let forms: Vec<(usize, String)> = GLOSSARY
        .iter()
        .enumerate()
        .flat_map(|(t, term)| term.forms.iter().map(move |f| (t, f.to_ascii_lowercase())))
        .collect();
    let mut used = vec![false; GLOSSARY.len()];
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        if i > 0 && word(bytes[i - 1]) || !text.is_char_boundary(i) {
            i += 1;
            continue;
        }
        // The longest form of an unused term that starts here and ends at a word boundary.
        let mut hit: Option<(usize, usize)> = None;
        for (t, f) in &forms {
            let end = i + f.len();
            if !used[*t]
                && lower[i..].starts_with(f.as_str())
                && (end == bytes.len() || !word(bytes[end]))
                && hit.is_none_or(|(_, len)| f.len() > len)
            {
                hit = Some((*t, f.len()));
            }
        }
        match hit {
            Some((t, len)) => {
                if start < i {
                    out.push((None, &text[start..i]));
                }
                out.push((Some(&GLOSSARY[t]), &text[i..i + len]));
                used[t] = true;
                i += len;
                start = i;
            }
            None => i += 1,
        }
    }
    if start < text.len() {
        out.push((None, &text[start..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(text: &str) -> Vec<&str> {
        gloss(text).into_iter().filter(|(t, _)| t.is_some()).map(|(_, s)| s).collect()
    }

    #[test]
    fn terms_are_found_as_whole_words_once_each_and_the_text_is_kept_whole() {
        let text = "n2 is at LSN 40 in epoch 2; its epoch is new. Quorums overlap; the epochal flag stays.";
        assert_eq!(marked(text), vec!["LSN", "epoch", "Quorums"]);
        let joined: String = gloss(text).into_iter().map(|(_, s)| s).collect();
        assert_eq!(joined, text);
        // The longest form wins; a form inside a longer word is not a term.
        assert_eq!(marked("a sloppy quorum, hinted handoff"), vec!["sloppy quorum", "hinted handoff"]);
        assert_eq!(marked("flagged relay"), Vec::<&str>::new());
        assert_eq!(marked("not linearizable"), vec!["not linearizable"]);
        // Text that is not ASCII is cut only at character boundaries.
        let text = "épochs — epoch — ✓ LSN";
        let joined: String = gloss(text).into_iter().map(|(_, s)| s).collect();
        assert_eq!(joined, text);
        assert_eq!(marked(text), vec!["epoch", "LSN"]);
    }

    /// Any text, however long or strange (captions can come from a stranger's link), is cut
    /// without a panic and put back together unchanged.
    #[test]
    fn hostile_text_is_cut_without_a_panic_and_kept_whole() {
        let alphabet = ["epoch", "LSN", " ", "é", "✓", "<script>", "W + R > N", "sloppy", " quorum", "\u{0}", "_", "s"];
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..2_000 {
            let mut text = String::new();
            let len = (x % 400) as usize;
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                text.push_str(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            let joined: String = gloss(&text).into_iter().map(|(_, s)| s).collect();
            assert_eq!(joined, text);
        }
    }

    #[test]
    fn every_term_has_one_sentence_and_forms_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for t in GLOSSARY {
            assert!(t.meaning.ends_with('.') && t.meaning.len() < 260, "{}", t.meaning);
            for f in t.forms {
                assert!(seen.insert(f.to_ascii_lowercase()), "{f} twice");
            }
        }
    }
}
