//! Naming the encoding of a file that is not UTF-8.
//!
//! Japanese editors still save Shift_JIS (Windows) or EUC-JP (old Unix)
//! files; telling a partner which one they used makes the fix obvious.

/// Guesses between Shift_JIS and EUC-JP by which one reads the bytes as
/// well-formed double-byte text; None when neither does.
pub fn guess(bytes: &[u8]) -> Option<&'static str> {
    let sjis = score_shift_jis(bytes);
    let euc = score_euc_jp(bytes);
    match (sjis, euc) {
        (Some(s), Some(e)) if e >= s => Some("EUC-JP"),
        (Some(_), _) => Some("Shift_JIS"),
        (None, Some(_)) => Some("EUC-JP"),
        (None, None) => None,
    }
}

/// Number of well-formed double-byte characters, or None on a malformed
/// sequence.
fn score_shift_jis(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    let mut pairs = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 || (0xA1..=0xDF).contains(&b) {
            i += 1;
        } else if (0x81..=0x9F).contains(&b) || (0xE0..=0xFC).contains(&b) {
            let next = *bytes.get(i + 1)?;
            if !((0x40..=0x7E).contains(&next) || (0x80..=0xFC).contains(&next)) {
                return None;
            }
            pairs += 1;
            i += 2;
        } else {
            return None;
        }
    }
    Some(pairs)
}

fn score_euc_jp(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    let mut pairs = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
        } else if b == 0x8E || (0xA1..=0xFE).contains(&b) {
            let next = *bytes.get(i + 1)?;
            if !(0xA1..=0xFE).contains(&next) {
                return None;
            }
            pairs += 1;
            i += 2;
        } else {
            return None;
        }
    }
    Some(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_shift_jis_and_euc_jp() {
        // 「事業再生」 in Shift_JIS and in EUC-JP.
        let sjis = [0x8E, 0x96, 0x8B, 0xC6, 0x8D, 0xC4, 0x90, 0xB6];
        let euc = [0xBB, 0xF6, 0xB6, 0xC8, 0xBA, 0xC6, 0xC0, 0xB8];
        assert_eq!(guess(&sjis), Some("Shift_JIS"));
        assert_eq!(guess(&euc), Some("EUC-JP"));
        assert_eq!(guess(&[0xFF, 0xFE, 0x00]), None);
    }
}
