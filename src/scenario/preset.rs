//! YCSB's core workloads as `workload.preset`: each fills the `[workload]`
//! fields the file does not give, as YCSB's property files set them
//! (`workloads/workloada` … `workloadf` in brianfrankcooper/YCSB; B. F.
//! Cooper et al., "Benchmarking cloud serving systems with YCSB", SoCC
//! 2010, Table 2):
//!
//! | preset | mix | request distribution |
//! |---|---|---|
//! | ycsb-a | read 0.5, update 0.5 | zipfian |
//! | ycsb-b | read 0.95, update 0.05 | zipfian |
//! | ycsb-c | read 1 | zipfian |
//! | ycsb-d | read 0.95, insert 0.05 | latest |
//! | ycsb-e | scan 0.95, insert 0.05 | zipfian |
//! | ycsb-f | read 0.5, read-modify-write 0.5 | zipfian |
//!
//! and for all of them YCSB's defaults: `recordcount` 1000 keys, the
//! zipfian constant 0.99, and records of 10 fields of 100 bytes (1000 B).
//! E's scans read uniform 1 to `max_scan_length` keys (YCSB's
//! `maxscanlength=100`, `scanlengthdistribution=uniform`, the field's
//! default); a scan is a multi-get of the keys of consecutive key numbers
//! from a zipfian start, the keys laid out in the scrambled order of
//! YCSB's default `ScrambledZipfianGenerator` and `insertorder=hashed`
//! (`workload.scan_order`, see `workload::order`), and an insert writes the
//! key after the last (see `workload::scan` for what is and is not
//! modelled).
//!
//! A field the file gives wins over the preset; the operation mix counts as
//! one field, so giving any of `get`, `set`, `delete`, `insert`, `rmw`,
//! `scan` replaces the preset's whole mix.

use super::file::Preset;

/// The fields of the operation mix, set all together or not at all.
const MIX: [&str; 6] = ["get", "set", "delete", "insert", "rmw", "scan"];

/// The mix of a preset (get, set, delete, insert, rmw, scan) and its
/// popularity.
fn settings(preset: Preset) -> ([f64; 6], &'static str) {
    match preset {
        Preset::YcsbA => ([0.5, 0.5, 0.0, 0.0, 0.0, 0.0], "zipf"),
        Preset::YcsbB => ([0.95, 0.05, 0.0, 0.0, 0.0, 0.0], "zipf"),
        Preset::YcsbC => ([1.0, 0.0, 0.0, 0.0, 0.0, 0.0], "zipf"),
        Preset::YcsbD => ([0.95, 0.0, 0.0, 0.05, 0.0, 0.0], "latest"),
        Preset::YcsbE => ([0.0, 0.0, 0.0, 0.05, 0.0, 0.95], "zipf"),
        Preset::YcsbF => ([0.5, 0.0, 0.0, 0.0, 0.5, 0.0], "zipf"),
    }
}

/// Fills the `[workload]` fields of `table` that its preset sets and the
/// table does not; a table without a preset is left as it is.
pub fn expand(table: &mut toml::Table) -> Result<(), String> {
    let Some(toml::Value::Table(workload)) = table.get_mut("workload") else {
        return Ok(());
    };
    let Some(written) = workload.get("preset") else {
        return Ok(());
    };
    let preset: Preset = written.clone().try_into().map_err(|_| {
        format!(
            "workload.preset = {written}: one of ycsb-a, ycsb-b, ycsb-c, ycsb-d, ycsb-e, ycsb-f"
        )
    })?;
    let (mix, popularity) = settings(preset);
    let mut fill = |key: &str, value: toml::Value| {
        workload.entry(key).or_insert(value);
    };
    fill("popularity", popularity.into());
    fill("alpha", 0.99.into());
    fill("keys", 1000.into());
    fill("object_size", "1000B".into());
    if !MIX.iter().any(|field| workload.contains_key(*field)) {
        for (field, share) in MIX.into_iter().zip(mix) {
            workload.insert(field.into(), share.into());
        }
    }
    Ok(())
}

/// True when `table` names a preset.
pub fn named(table: &toml::Table) -> bool {
    table
        .get("workload")
        .and_then(|w| w.get("preset"))
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(text: &str) -> Result<toml::Table, String> {
        let mut table: toml::Table = toml::from_str(text).unwrap();
        expand(&mut table).map(|()| table["workload"].as_table().unwrap().clone())
    }

    #[test]
    fn a_preset_fills_what_the_file_leaves_out() {
        let w = expanded("[workload]\npreset = \"ycsb-d\"\nkeys = 50\n").unwrap();
        assert_eq!(w["popularity"].as_str(), Some("latest"));
        assert_eq!(w["keys"].as_integer(), Some(50));
        assert_eq!(w["insert"].as_float(), Some(0.05));
        assert_eq!(w["get"].as_float(), Some(0.95));
    }

    #[test]
    fn a_mix_given_replaces_the_presets_whole_mix() {
        let w = expanded("[workload]\npreset = \"ycsb-a\"\nget = 1.0\n").unwrap();
        assert_eq!(w["get"].as_float(), Some(1.0));
        assert!(!w.contains_key("set"));
    }

    #[test]
    fn ycsb_e_is_scans_and_inserts_over_zipf() {
        let w = expanded("[workload]\npreset = \"ycsb-e\"\n").unwrap();
        assert_eq!(w["popularity"].as_str(), Some("zipf"));
        assert_eq!(w["scan"].as_float(), Some(0.95));
        assert_eq!(w["insert"].as_float(), Some(0.05));
        assert_eq!(w["get"].as_float(), Some(0.0));
        assert_eq!(w["alpha"].as_float(), Some(0.99));
    }

    #[test]
    fn a_scan_share_given_replaces_the_presets_whole_mix() {
        let w = expanded("[workload]\npreset = \"ycsb-e\"\nscan = 1.0\n").unwrap();
        assert_eq!(w["scan"].as_float(), Some(1.0));
        assert!(!w.contains_key("insert"));
    }
}
