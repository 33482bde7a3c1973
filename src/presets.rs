//! The presets as the page has them: compiled into it when it is built (`build.rs` reads each
//! preset's file with the engine, natively, and writes its scenario as bytes in the form compact
//! links carry), so that opening one decodes bytes instead of parsing JSON. The page's
//! WebAssembly carries neither the presets' text nor a JSON reader for them.

use replicascope_engine::page::{scenario_from_bytes, Group, Scenario, DEFAULT_PRESET};

/// One preset: its id (links' `preset=`), its group in the menu, its name, its scenario's bytes.
pub struct PagePreset {
    pub id: &'static str,
    pub group: Group,
    pub name: &'static str,
    bytes: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/presets.rs"));

/// The preset called `id`.
pub fn preset(id: &str) -> Option<Scenario> {
    scenario_from_bytes(PRESETS.iter().find(|p| p.id == id)?.bytes)
}

/// The scenario a page opens with when its link names none.
pub fn default_scenario() -> Scenario {
    preset(DEFAULT_PRESET).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use replicascope_engine::page as engine;

    #[test]
    fn the_pages_presets_are_the_engines_read_from_their_files() {
        assert_eq!(PRESETS.len(), engine::PRESETS.len());
        for (mine, theirs) in PRESETS.iter().zip(engine::PRESETS) {
            assert_eq!(mine.id, theirs.id);
            assert_eq!(mine.group, theirs.group, "{}", mine.id);
            let from_file = engine::preset(mine.id).expect("every preset reads");
            assert_eq!(preset(mine.id).as_ref(), Some(&from_file), "{}: bytes and file differ", mine.id);
            assert_eq!(mine.name, from_file.name);
        }
        assert_eq!(default_scenario(), engine::default_scenario());
        assert_eq!(preset("no-such-preset"), None);
    }

    #[test]
    fn damaged_bytes_give_none_never_a_panic() {
        let bytes = engine::scenario_bytes(&default_scenario());
        for cut in [0, 1, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
            let _ = engine::scenario_from_bytes(&bytes[..cut]);
        }
        let mut flipped = bytes.clone();
        for i in (0..flipped.len()).step_by(7) {
            flipped[i] ^= 0x5a;
        }
        let _ = engine::scenario_from_bytes(&flipped);
        assert_eq!(engine::scenario_from_bytes(&bytes), Some(default_scenario()));
        assert_eq!(engine::scenario_from_bytes(&[]), None);
    }
}
