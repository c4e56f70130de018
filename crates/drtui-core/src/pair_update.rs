//! `drtui discover --update`: the ids a discovery found, written into a pair that already
//! exists in the config file, keeping everything else in it (its comments, its environment
//! label, its endpoint and timings). The path after `provision` on a new account: the pair was
//! written by hand with placeholders, the stacks now hold the real ids.

use toml_edit::{DocumentMut, Item, Table};

/// Keys `discover` never replaces: the pair's regions are the operator's choice.
const KEPT: [&str; 2] = ["primary", "secondary"];

/// Whether a discovered value says "not found" (an empty string, table or list).
fn is_empty(item: &Item) -> bool {
    match item {
        Item::None => true,
        Item::Value(value) => match value {
            toml_edit::Value::String(text) => text.value().is_empty(),
            toml_edit::Value::Array(array) => array.is_empty(),
            toml_edit::Value::InlineTable(table) => table.is_empty(),
            _ => false,
        },
        Item::Table(table) => table.is_empty(),
        Item::ArrayOfTables(tables) => tables.is_empty(),
    }
}

fn pair_table<'a>(document: &'a mut DocumentMut, name: &str) -> Option<&'a mut Table> {
    document
        .get_mut("pairs")?
        .as_table_mut()?
        .get_mut(name)?
        .as_table_mut()
}

/// The config file's text with pair `name`'s keys replaced by those `section` (a discovered
/// `[pairs.NAME]` section) found. What the discovery left empty, the regions, and every key
/// it does not know stay as they were. Returns the new text and the keys it changed.
pub fn update_pair(text: &str, name: &str, section: &str) -> Result<(String, Vec<String>), String> {
    let mut document: DocumentMut = text
        .parse()
        .map_err(|error| format!("the config file is not TOML: {error}"))?;
    let mut found: DocumentMut = section
        .parse()
        .map_err(|error| format!("the discovered section is not TOML: {error}"))?;
    let discovered = pair_table(&mut found, name)
        .ok_or_else(|| format!("the discovery has no [pairs.{name}]"))?
        .clone();
    let pair = pair_table(&mut document, name).ok_or_else(|| {
        format!("pair `{name}` is not in the config file (use --write to add it)")
    })?;
    let mut changed = Vec::new();
    for (key, item) in discovered.iter() {
        if KEPT.contains(&key) || is_empty(item) {
            continue;
        }
        let differs = pair
            .get(key)
            .is_none_or(|old| old.to_string().trim() != item.to_string().trim());
        if differs {
            replace_keeping_comments(pair, key, item.clone());
            changed.push(key.to_owned());
        }
    }
    Ok((document.to_string(), changed))
}

/// Sets `key` to `item`. An existing key keeps its place and the comments above it (they
/// belong to the key, which stays); an existing table keeps its header's comments and place.
/// A new table goes after the pair's own tables, not where the discovery printed it.
fn replace_keeping_comments(pair: &mut Table, key: &str, mut item: Item) {
    match pair.get_mut(key) {
        Some(old) => {
            if let (Item::Table(old_table), Item::Table(table)) = (&*old, &mut item) {
                *table.decor_mut() = old_table.decor().clone();
                table.set_position(old_table.position());
            }
            *old = item;
        }
        None => {
            if let Item::Table(table) = &mut item {
                table.set_position(None);
            }
            pair.insert(key, item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"# hand-written before provisioning
[pairs.prod]
environment = "production"   # shown loud
primary = "us-east-1"
secondary = "us-east-2"
global_cluster = "payment-global-prod"
# The zone the stacks create.
hosted_zone_id = "ZNOTYET"
record_name = "api.payments.example.com"
alarm_prefix = "PaymentDR-prod"
poll_interval = "5s"
# The run lock shared by every operator's machine.
lock_table = "placeholder"

[pairs.prod.clusters]
us-east-1 = "payment-primary-prod"
us-east-2 = "payment-secondary-prod"

# Optional: otherwise from the weighted records.
[pairs.prod.health_checks]
us-east-1 = "hc-old"

[pairs.other]
primary = "eu-west-1"
secondary = "eu-central-1"
"#;

    const FOUND: &str = r#"[pairs.prod]
primary = "us-west-2"
secondary = "us-east-2"
global_cluster = "payment-global-prod"
hosted_zone_id = "Z0123REAL"
record_name = ""  # not found
state_machine = "arn:aws:states:us-east-1:1:stateMachine:m"
lock_table = "drtui-locks-prod"

[pairs.prod.clusters]
us-east-1 = "payment-primary-prod"
us-east-2 = "payment-secondary-prod"

[pairs.prod.health_checks]
us-east-1 = "hc-1"
us-east-2 = "hc-2"
"#;

    #[test]
    fn found_ids_replace_placeholders_and_everything_else_stays() {
        let (text, changed) = update_pair(FILE, "prod", FOUND).expect("updated");
        assert_eq!(
            changed,
            [
                "hosted_zone_id",
                "state_machine",
                "lock_table",
                "health_checks"
            ]
        );
        assert!(text.contains("hosted_zone_id = \"Z0123REAL\""), "{text}");
        assert!(
            text.contains("record_name = \"api.payments.example.com\""),
            "{text}"
        );
        assert!(
            text.contains("primary = \"us-east-1\""),
            "regions are kept: {text}"
        );
        assert!(
            text.contains("environment = \"production\"   # shown loud"),
            "{text}"
        );
        assert!(
            text.starts_with("# hand-written before provisioning"),
            "{text}"
        );
        assert!(
            text.contains(
                "# Optional: otherwise from the weighted records.\n[pairs.prod.health_checks]\nus-east-1 = \"hc-1\""
            ),
            "a replaced table keeps its comment and place: {text}"
        );
        for kept in [
            "# The zone the stacks create.\nhosted_zone_id = \"Z0123REAL\"",
            "# The run lock shared by every operator's machine.\nlock_table = \"drtui-locks-prod\"",
        ] {
            assert!(
                text.contains(kept),
                "a replaced key keeps its comment: {text}"
            );
        }
        assert!(
            text.contains("[pairs.other]\nprimary = \"eu-west-1\""),
            "{text}"
        );
        let parsed: toml::Table = toml::from_str(&text).expect("still TOML");
        assert_eq!(
            parsed["pairs"]["prod"]["poll_interval"].as_str(),
            Some("5s")
        );
    }

    #[test]
    fn a_missing_pair_or_garbage_is_an_error_that_says_so() {
        let missing = update_pair(FILE, "staging", FOUND.replace("prod", "staging").as_str());
        assert!(
            missing
                .unwrap_err()
                .contains("pair `staging` is not in the config file")
        );
        assert!(
            update_pair("pairs = [", "prod", FOUND)
                .unwrap_err()
                .contains("not TOML")
        );
        // Nothing new: nothing changed.
        let (again, _) = update_pair(FILE, "prod", FOUND).expect("updated");
        let (_, changed) = update_pair(&again, "prod", FOUND).expect("updated");
        assert!(changed.is_empty(), "{changed:?}");
    }
}
