//! The dates a new secret's `expiration` may name, as a regex. The server refuses a time that
//! has passed, which no fixed pattern can say; so the document's pattern admits the dates from
//! two days after it was generated (two, so that no UTC offset brings one of them into the
//! past). An old copy of the document thus never refuses a date the server takes; it only
//! admits days that have passed since.

use chrono::{Datelike, NaiveDate};

/// A month and day of any year, 29 February aside.
const MONTH_DAY: &str =
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|02-(?:0[1-9]|1\d|2[0-8]))";

/// The last two digits of a leap year that is not a century's first.
const LEAP_YY: &str = "(?:0[48]|[2468][048]|[13579][26])";

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Two-digit numbers from `low` (at most 99) up.
fn two_digits_from(low: i32) -> String {
    let (tens, units) = (low / 10, low % 10);
    let mut alternatives = vec![format!("{tens}[{units}-9]")];
    if tens < 9 {
        alternatives.push(format!(r"[{}-9]\d", tens + 1));
    }
    alternatives.join("|")
}

/// The calendar dates `YYYY-MM-DD` from `first` (a year from 1000 to 9999) on.
pub fn dates_from(first: NaiveDate) -> String {
    let (year, month, day) = (first.year(), first.month(), first.day());
    let mut alternatives = Vec::new();
    // The rest of `first`'s year, month by month.
    for m in month..=12 {
        let low = if m == month { day } else { 1 };
        let days: Vec<String> = (low..=days_in(year, m)).map(|d| format!("{d:02}")).collect();
        alternatives.push(format!("{year:04}-{m:02}-(?:{})", days.join("|")));
    }
    let (century, in_century) = (year / 100, year % 100);
    // The later years of its century.
    if in_century < 99 {
        alternatives.push(format!("{century:02}(?:{})-{MONTH_DAY}", two_digits_from(in_century + 1)));
        let leap: Vec<String> =
            (year + 1..=century * 100 + 99).filter(|y| is_leap(*y)).map(|y| format!("{y:04}")).collect();
        if !leap.is_empty() {
            alternatives.push(format!("(?:{})-02-29", leap.join("|")));
        }
    }
    // The later centuries.
    if century < 99 {
        let centuries = two_digits_from(century + 1);
        alternatives.push(format!(r"(?:{centuries})\d\d-{MONTH_DAY}"));
        alternatives.push(format!("(?:{centuries}){LEAP_YY}-02-29"));
        let leap: Vec<String> = (century + 1..=99).filter(|c| c % 4 == 0).map(|c| format!("{c:02}")).collect();
        if !leap.is_empty() {
            alternatives.push(format!("(?:{})00-02-29", leap.join("|")));
        }
    }
    format!("(?:{})", alternatives.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A matcher for the little regex `dates_from` writes: literals, `\d`, classes of ranges,
    /// and `(?:a|b)` groups. Returns every position a match of `pattern` from `at` can end at.
    fn ends(pattern: &[char], text: &[char], at: usize) -> Vec<usize> {
        let mut positions = vec![at];
        let mut i = 0;
        while i < pattern.len() {
            let (next, step): (Vec<usize>, usize) = match pattern[i] {
                '(' => {
                    let close = closing(pattern, i);
                    let body = &pattern[i + 3..close];
                    let next = positions
                        .iter()
                        .flat_map(|&p| split_top(body).into_iter().flat_map(move |alt| ends(alt, text, p)))
                        .collect();
                    (next, close + 1 - i)
                }
                '\\' => (step_if(&positions, text, |c| c.is_ascii_digit()), 2),
                '[' => {
                    let close = i + pattern[i..].iter().position(|c| *c == ']').unwrap();
                    let class = &pattern[i + 1..close];
                    let within = |c: char| in_class(class, c);
                    (step_if(&positions, text, within), close + 1 - i)
                }
                literal => (step_if(&positions, text, |c| c == literal), 1),
            };
            positions = next;
            positions.sort_unstable();
            positions.dedup();
            i += step;
        }
        positions
    }

    /// Whether `c` is in a class body of single characters and `a-b` ranges.
    fn in_class(class: &[char], c: char) -> bool {
        let mut i = 0;
        while i < class.len() {
            if i + 2 < class.len() && class[i + 1] == '-' {
                if (class[i]..=class[i + 2]).contains(&c) {
                    return true;
                }
                i += 3;
            } else {
                if class[i] == c {
                    return true;
                }
                i += 1;
            }
        }
        false
    }

    fn step_if(positions: &[usize], text: &[char], ok: impl Fn(char) -> bool) -> Vec<usize> {
        positions.iter().filter(|&&p| p < text.len() && ok(text[p])).map(|p| p + 1).collect()
    }

    fn closing(pattern: &[char], open: usize) -> usize {
        let mut depth = 0;
        for (i, c) in pattern.iter().enumerate().skip(open) {
            match c {
                '(' => depth += 1,
                ')' if depth == 1 => return i,
                ')' => depth -= 1,
                _ => {}
            }
        }
        panic!("unbalanced pattern")
    }

    fn split_top(body: &[char]) -> Vec<&[char]> {
        let (mut out, mut depth, mut start) = (Vec::new(), 0, 0);
        for (i, c) in body.iter().enumerate() {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                '|' if depth == 0 => {
                    out.push(&body[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        out.push(&body[start..]);
        out
    }

    fn full_match(pattern: &str, text: &str) -> bool {
        let (pattern, text): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
        ends(&pattern, &text, 0).contains(&text.len())
    }

    #[test]
    fn admits_exactly_the_dates_from_the_first() {
        for first in ["2026-11-27", "2027-02-28", "2028-02-29", "2099-12-31", "2400-01-01", "2000-03-01"] {
            let first: NaiveDate = first.parse().unwrap();
            let pattern = dates_from(first);
            let check = |text: String| {
                let date = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok();
                let expected = date.is_some_and(|d| d >= first);
                assert_eq!(full_match(&pattern, &text), expected, "{text} against dates from {first}");
            };
            // Every day around the first, then the start and the leap day of every later year
            // (century rules included).
            let mut day = first - chrono::Days::new(60);
            while day < first + chrono::Days::new(400) {
                check(day.format("%Y-%m-%d").to_string());
                day = day.succ_opt().unwrap();
            }
            for year in first.year() - 1..=first.year() + 450 {
                check(format!("{year:04}-01-01"));
                check(format!("{year:04}-02-29"));
            }
            for not_a_date in ["2031-04-31", "2031-13-01", "2031-00-10", "2031-1-10", "20310-01-01"] {
                assert!(!full_match(&pattern, not_a_date), "{not_a_date}");
            }
            assert!(full_match(&pattern, "9996-02-29") && full_match(&pattern, "9999-12-31"));
        }
    }
}
