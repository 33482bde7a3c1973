//! The settings the page offers are the engine's (`Topology::settings`): every one must be a real
//! override key, every choice a value the scenario accepts, and the control must then show the
//! value chosen. Checked for every topology of every preset, so a renamed field or a misspelt
//! option fails here and not in a student's browser.

use replicascope_engine::link::apply_override;
use replicascope_engine::presets::{preset, PRESETS};
use replicascope_engine::topology::{Setting, SettingControl};
use replicascope_engine::vocab::TopologyKind;

fn find<'a>(list: &'a [Setting], field: &str) -> Option<&'a Setting> {
    list.iter().find(|s| s.field == field)
}

#[test]
fn every_setting_is_an_override_the_scenario_accepts() {
    let mut checked = 0;
    let mut kinds_with_settings = std::collections::BTreeSet::new();
    for p in PRESETS {
        let s = preset(p.id).unwrap();
        for kind in s.kinds() {
            let summary = s.topologies.summary(kind);
            assert!(summary.is_some_and(|t| !t.is_empty()), "{} {kind:?}: a summary", p.id);
            for setting in s.topologies.settings(kind) {
                kinds_with_settings.insert(kind);
                let key = format!("{}.{}", kind.code(), setting.field);
                let values: Vec<String> = match &setting.control {
                    SettingControl::Choice { current, options } => {
                        assert!(
                            options.iter().any(|o| o.value == current),
                            "{} {key}: current {current:?} is an option",
                            p.id
                        );
                        assert!(
                            options.iter().all(|o| !o.help.is_empty()),
                            "{} {key}: every option says what it does",
                            p.id
                        );
                        options.iter().map(|o| o.value.to_string()).collect()
                    }
                    SettingControl::Number { current, min, max, .. } => {
                        assert!((min..=max).contains(&current), "{} {key}: {current} in {min}..={max}", p.id);
                        vec![min.to_string(), max.to_string()]
                    }
                    SettingControl::Toggle { values, .. } => vec![values.0.to_string(), values.1.to_string()],
                };
                for v in values {
                    let mut changed = s.clone();
                    apply_override(&mut changed, &key, &v).unwrap_or_else(|e| panic!("{} {key}={v}: {e}", p.id));
                    // The control now shows what was chosen (when the setting is still offered).
                    let after = changed.topologies.settings(kind);
                    if let Some(now) = find(&after, setting.field) {
                        let shown = match &now.control {
                            SettingControl::Choice { current, .. } => current.clone(),
                            SettingControl::Number { current, .. } => current.to_string(),
                            SettingControl::Toggle { on, values, .. } => {
                                (if *on { values.0 } else { values.1 }).to_string()
                            }
                        };
                        assert_eq!(shown, v, "{} {key}: the control follows the value", p.id);
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 200, "{checked} values tried");
    let replicated = [TopologyKind::LeaderFollower, TopologyKind::MultiLeader, TopologyKind::Leaderless];
    assert!(replicated.iter().all(|k| kinds_with_settings.contains(k)), "{kinds_with_settings:?}");
}

/// Words follow the settings: the help under a control describes the value it shows.
#[test]
fn the_help_line_describes_the_chosen_value() {
    let mut s = preset("split-brain").unwrap();
    let help_of = |s: &replicascope_engine::scenario::Scenario, field: &str| -> String {
        let list = s.topologies.settings(TopologyKind::LeaderFollower);
        match &find(&list, field).unwrap().control {
            SettingControl::Toggle { on, help, .. } => {
                if *on {
                    help.0.clone()
                } else {
                    help.1.clone()
                }
            }
            SettingControl::Choice { current, options } => {
                options.iter().find(|o| o.value == current).unwrap().help.to_string()
            }
            SettingControl::Number { help, .. } => help.clone(),
        }
    };
    let off = help_of(&s, "fencing");
    apply_override(&mut s, "lf.fencing", "true").unwrap();
    let on = help_of(&s, "fencing");
    assert_ne!(off, on);
    assert!(on.contains("powers the old leader off"), "{on}");
    apply_override(&mut s, "lf.mode", "sync").unwrap();
    assert!(help_of(&s, "mode").contains("Waits for every follower"));
}
