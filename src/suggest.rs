//! "Did you mean …?": the known name nearest to a misspelt one, and the
//! same hint added to serde's "unknown field" and "unknown variant" errors.

/// The candidate closest to `word` by edit distance, when it is close
/// enough to be a likely typo (at most a third of the word's length, and
/// at least one edit allowed).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let most = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|&(d, c)| d <= most && c != word)
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

/// `message` with "; did you mean `x`?" when it is serde's "unknown field
/// `w`, expected one of `a`, `b`" (or "unknown variant") and one of the
/// expected names is near `w`.
pub fn hint_unknown(message: &str) -> String {
    let hint = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|prefix| {
            let start = message.find(prefix)? + prefix.len();
            let (word, rest) = message[start..].split_once('`')?;
            let expected = rest.split_once("expected")?.1;
            let names = expected.split('`').skip(1).step_by(2);
            nearest(word, names).map(|n| format!("; did you mean `{n}`?"))
        });
    match hint {
        Some(hint) => format!("{}{hint}", message.trim_end()),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names_are_suggested_and_far_ones_are_not() {
        assert_eq!(nearest("lru2", ["lru", "lfu", "arc"]), Some("lru"));
        assert_eq!(nearest("capacty", ["count", "capacity"]), Some("capacity"));
        assert_eq!(nearest("colour", ["count", "capacity", "policy"]), None);
    }

    #[test]
    fn serde_messages_get_a_hint() {
        let m = "unknown field `capacty`, expected one of `count`, `policy`, `capacity`";
        assert!(
            hint_unknown(m).ends_with("did you mean `capacity`?"),
            "{}",
            hint_unknown(m)
        );
        let m =
            "unknown variant `cache_aside`, expected one of `cache-aside`, `read-through`, `none`";
        assert!(hint_unknown(m).ends_with("did you mean `cache-aside`?"));
        assert_eq!(
            hint_unknown("unknown field `zzz`, expected `a`"),
            "unknown field `zzz`, expected `a`"
        );
    }
}
