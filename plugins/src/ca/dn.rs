//! Distinguished names: RFC 4514 strings in ([`parse_dn`]), RFC 4514 strings out ([`to_rfc4514`]),
//! and the conversions to rcgen's [`DistinguishedName`].
//!
//! # Layout
//! - the attribute table (`ATTRIBUTES`): keywords, OIDs and the ASN.1 string type each is
//!   written as.
//! - parsing: [`parse_rdns`] / [`parse_dn`], then `to_rcgen` for [`super::build_csr`].
//! - printing: [`to_rfc4514`] for [`super::Csr::subject`]; `x509_to_rcgen` for the local CA,
//!   which copies a CSR's subject.
//!
//! The parser keeps the rules Barbican applied through ldap3's `parse_dn`: RDNs separated by `,`
//! (or `+` within one), each `type=value`; the type is a keyword (`CN`, `x-ext`: a letter, then
//! letters, digits and `-`); the value is non-empty and escapes `"#+,;<=>\`, NUL and leading or
//! trailing spaces as `\c` or `\hh`. A value may instead be `#` and hex pairs (the BER encoding;
//! ldap3 wrongly refused those). Unlike ldap3, hex escapes must decode to UTF-8.

use rcgen::string::{BmpString, Ia5String, PrintableString, TeletexString, UniversalString};
use rcgen::{DistinguishedName, DnType, DnValue};
use x509_parser::asn1_rs::{Any, FromDer, Tag, ToDer};
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

use super::CaError;

/// How a value of an attribute type is encoded when this module writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringKind {
    Utf8,
    /// RFC 5280 requires it for `C` and `serialNumber`.
    Printable,
    /// RFC 5280/4519 require it for `DC` and `emailAddress`.
    Ia5,
}

struct Attribute {
    /// Keywords, case-insensitive; the first is the one printed.
    names: &'static [&'static str],
    oid: &'static [u64],
    kind: StringKind,
}

const fn attr(names: &'static [&'static str], oid: &'static [u64], kind: StringKind) -> Attribute {
    Attribute { names, oid, kind }
}

/// RFC 4514's keywords first, then the X.520/PKCS#9 ones OpenSSL and Python print by name.
const ATTRIBUTES: &[Attribute] = &[
    attr(&["CN", "commonName"], &[2, 5, 4, 3], StringKind::Utf8),
    attr(&["L", "localityName"], &[2, 5, 4, 7], StringKind::Utf8),
    attr(&["ST", "stateOrProvinceName", "S"], &[2, 5, 4, 8], StringKind::Utf8),
    attr(&["O", "organizationName"], &[2, 5, 4, 10], StringKind::Utf8),
    attr(&["OU", "organizationalUnitName"], &[2, 5, 4, 11], StringKind::Utf8),
    attr(&["C", "countryName"], &[2, 5, 4, 6], StringKind::Printable),
    attr(&["STREET", "streetAddress"], &[2, 5, 4, 9], StringKind::Utf8),
    attr(&["DC", "domainComponent"], &[0, 9, 2342, 19200300, 100, 1, 25], StringKind::Ia5),
    attr(&["UID", "userId"], &[0, 9, 2342, 19200300, 100, 1, 1], StringKind::Utf8),
    attr(&["SN", "surname"], &[2, 5, 4, 4], StringKind::Utf8),
    attr(&["GN", "givenName"], &[2, 5, 4, 42], StringKind::Utf8),
    attr(&["serialNumber"], &[2, 5, 4, 5], StringKind::Printable),
    attr(&["title"], &[2, 5, 4, 12], StringKind::Utf8),
    attr(&["postalCode"], &[2, 5, 4, 17], StringKind::Utf8),
    attr(&["initials"], &[2, 5, 4, 43], StringKind::Utf8),
    attr(&["pseudonym"], &[2, 5, 4, 65], StringKind::Utf8),
    attr(&["emailAddress", "E"], &[1, 2, 840, 113549, 1, 9, 1], StringKind::Ia5),
];

fn by_name(name: &str) -> Option<&'static Attribute> {
    ATTRIBUTES.iter().find(|a| a.names.iter().any(|n| n.eq_ignore_ascii_case(name)))
}

fn by_oid(oid: &[u64]) -> Option<&'static Attribute> {
    ATTRIBUTES.iter().find(|a| a.oid == oid)
}

/// An attribute value as a DN string writes it: text, with its escapes decoded, or `#` and hex
/// pairs, the BER encoding of the value. `CN=\#0C03616263` is the text `#0C03616263`;
/// `CN=#0C03616263` is the UTF8String `abc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AvaValue {
    Text(String),
    Ber(Vec<u8>),
}

impl AvaValue {
    pub fn is_empty(&self) -> bool {
        match self {
            AvaValue::Text(text) => text.is_empty(),
            AvaValue::Ber(ber) => ber.is_empty(),
        }
    }
}

/// The attribute type/value pairs of an RFC 4514 DN, in string order. Err for an invalid DN.
pub fn parse_dn(dn: &str) -> Result<Vec<(String, AvaValue)>, CaError> {
    Ok(parse_rdns(dn)?.into_iter().flatten().collect())
}

/// [`parse_dn`], keeping the RDNs apart: `CN=a+OU=b,O=c` is `[[CN, OU], [O]]`.
pub fn parse_rdns(dn: &str) -> Result<Vec<Vec<(String, AvaValue)>>, CaError> {
    let invalid = || CaError::bad_request(format!("Invalid subject DN: {dn}"));
    let mut rdns = vec![Vec::new()];
    let (mut start, mut escaped) = (0, false);
    for (i, c) in dn.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' | '+' => {
                let ava = parse_ava(&dn[start..i]).ok_or_else(invalid)?;
                rdns.last_mut().expect("never empty").push(ava);
                if c == ',' {
                    rdns.push(Vec::new());
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    let ava = parse_ava(&dn[start..]).ok_or_else(invalid)?;
    rdns.last_mut().expect("never empty").push(ava);
    Ok(rdns)
}

fn parse_ava(ava: &str) -> Option<(String, AvaValue)> {
    let (kind, value) = ava.split_once('=')?;
    let mut kind_chars = kind.chars();
    let keyword = kind_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && kind_chars.all(|c| c.is_ascii_alphanumeric() || c == '-');
    keyword.then_some(())?;
    Some((kind.to_owned(), parse_value(value)?))
}

/// Characters a value must escape. RFC 4514 requires fewer inside a value; ldap3 refused these
/// anywhere, and so does this parser.
const SPECIAL: &[char] = &['"', '#', '+', ',', ';', '<', '=', '>', '\\', '\0'];

fn parse_value(value: &str) -> Option<AvaValue> {
    if let Some(hex) = value.strip_prefix('#') {
        let ok = !hex.is_empty() && hex.len() % 2 == 0 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        // All ASCII hex digits, so every two-byte slice is on a char boundary.
        let ber = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok());
        return ok.then(|| ber.collect::<Option<_>>().map(AvaValue::Ber)).flatten();
    }
    if value.is_empty() || value.starts_with(' ') {
        return None;
    }
    let mut out = Vec::with_capacity(value.len());
    let mut trailing_space = false;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        trailing_space = c == ' ';
        match c {
            '\\' => match chars.next()? {
                e if e == ' ' || SPECIAL.contains(&e) => push_char(&mut out, e),
                h if h.is_ascii_hexdigit() => {
                    let l = chars.next().filter(char::is_ascii_hexdigit)?;
                    out.push(u8::from_str_radix(&format!("{h}{l}"), 16).ok()?);
                }
                _ => return None,
            },
            c if SPECIAL.contains(&c) => return None,
            c => push_char(&mut out, c),
        }
    }
    if trailing_space {
        return None;
    }
    String::from_utf8(out).ok().map(AvaValue::Text)
}

fn push_char(out: &mut Vec<u8>, c: char) {
    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
}

/// The DN as rcgen writes it: RDNs in encoding order (the reverse of the string's), values in
/// the string type the attribute calls for. BadRequest for what rcgen cannot write faithfully
/// (multi-valued RDNs, a repeated attribute type) and for unknown keywords.
pub(crate) fn to_rcgen(rdns: &[Vec<(String, AvaValue)>]) -> Result<DistinguishedName, CaError> {
    let mut dn = DistinguishedName::new();
    let mut seen: Vec<DnType> = Vec::new();
    for rdn in rdns.iter().rev() {
        let [(kind, value)] = rdn.as_slice() else {
            return Err(CaError::bad_request("Multi-valued RDNs ('+') are not supported in a subject DN."));
        };
        let attribute = by_name(kind)
            .ok_or_else(|| CaError::bad_request(format!("Unknown attribute type '{kind}' in subject DN.")))?;
        let ty = DnType::from_oid(attribute.oid);
        if seen.contains(&ty) {
            return Err(repeated(kind));
        }
        let value = match value {
            AvaValue::Ber(ber) => ber_value(kind, ber)?,
            AvaValue::Text(text) => text_value(kind, attribute.kind, text)?,
        };
        dn.push(ty.clone(), value);
        seen.push(ty);
    }
    Ok(dn)
}

fn repeated(kind: &str) -> CaError {
    CaError::bad_request(format!(
        "Attribute type '{kind}' appears more than once in the subject DN; it may appear once."
    ))
}

fn text_value(kind: &str, string_kind: StringKind, value: &str) -> Result<DnValue, CaError> {
    let wrong = |what: &str| CaError::bad_request(format!("Subject DN attribute '{kind}' must be {what}."));
    Ok(match string_kind {
        StringKind::Utf8 => DnValue::Utf8String(value.to_owned()),
        StringKind::Printable => {
            DnValue::PrintableString(printable(value).ok_or_else(|| wrong("printable (letters, digits, ' ()+,-./:=)"))?)
        }
        StringKind::Ia5 => DnValue::Ia5String(Ia5String::try_from(value).map_err(|_| wrong("ASCII"))?),
    })
}

/// A PrintableString that rcgen can write. X.680 and rcgen's `PrintableString` allow `?`, but the
/// DER writer rcgen uses (yasna 0.6) panics on it, so `?` is refused here as the client's error.
fn printable(value: &str) -> Option<PrintableString> {
    (!value.contains('?')).then(|| PrintableString::try_from(value).ok()).flatten()
}

/// A `#hex` value: the BER of a string, written back with the same string type.
fn ber_value(kind: &str, ber: &[u8]) -> Result<DnValue, CaError> {
    let not_string = || CaError::bad_request(format!("Subject DN attribute '{kind}' must hold a string."));
    let (rest, any) = Any::from_der(ber).map_err(|_| not_string())?;
    if !rest.is_empty() {
        return Err(not_string());
    }
    dn_value(&any).ok_or_else(not_string)
}

/// A string-typed ASN.1 value as rcgen's [`DnValue`], keeping its type; `None` for other types.
fn dn_value(any: &Any<'_>) -> Option<DnValue> {
    let text = || std::str::from_utf8(any.data).ok();
    Some(match any.tag() {
        Tag::Utf8String => DnValue::Utf8String(text()?.to_owned()),
        Tag::PrintableString => DnValue::PrintableString(printable(text()?)?),
        Tag::Ia5String => DnValue::Ia5String(Ia5String::try_from(text()?).ok()?),
        Tag::T61String => DnValue::TeletexString(TeletexString::try_from(text()?).ok()?),
        Tag::BmpString => DnValue::BmpString(BmpString::from_utf16be(any.data.to_vec()).ok()?),
        Tag::UniversalString => DnValue::UniversalString(UniversalString::from_utf32be(any.data.to_vec()).ok()?),
        _ => return None,
    })
}

/// A parsed X.509 name (a CSR's subject) as rcgen writes it, attribute for attribute. The local
/// CA still compares the encodings afterwards; this refuses early, with a reason, what rcgen
/// cannot represent.
pub(crate) fn x509_to_rcgen(name: &X509Name<'_>) -> Result<DistinguishedName, CaError> {
    let mut dn = DistinguishedName::new();
    let mut seen: Vec<DnType> = Vec::new();
    for rdn in name.iter() {
        let mut attrs = rdn.iter();
        let (Some(attr), None) = (attrs.next(), attrs.next()) else {
            return Err(CaError::bad_request("Multi-valued RDNs are not supported in a certificate subject."));
        };
        let oid: Vec<u64> = attr
            .attr_type()
            .iter()
            .ok_or_else(|| CaError::bad_request("Unsupported attribute type in the CSR subject."))?
            .collect();
        let ty = DnType::from_oid(&oid);
        if seen.contains(&ty) {
            return Err(repeated(&type_name(attr)));
        }
        let value = dn_value(attr.attr_value()).ok_or_else(|| {
            CaError::bad_request(format!("The CSR subject attribute '{}' is not a supported string.", type_name(attr)))
        })?;
        dn.push(ty.clone(), value);
        seen.push(ty);
    }
    Ok(dn)
}

/// The RFC 4514 string of a name: RDNs last to first, `+` within one, values escaped so that
/// [`parse_dn`] reads them back. Values that are not strings are printed as `#` and their BER.
pub fn to_rfc4514(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter()
        .map(|rdn| rdn.iter().map(|attr| format!("{}={}", type_name(attr), value_text(attr))).collect::<Vec<_>>())
        .map(|avas| avas.join("+"))
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn type_name(attr: &AttributeTypeAndValue<'_>) -> String {
    let oid = attr.attr_type();
    let known = oid.iter().and_then(|arcs| by_oid(&arcs.collect::<Vec<_>>()));
    known.map_or_else(|| oid.to_id_string(), |a| a.names[0].to_owned())
}

fn value_text(attr: &AttributeTypeAndValue<'_>) -> String {
    let value = attr.attr_value();
    let text = match value.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString
        | Tag::T61String => std::str::from_utf8(value.data).ok().map(str::to_owned),
        Tag::BmpString => {
            let units: Vec<u16> = value.data.chunks_exact(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect();
            (value.data.len() % 2 == 0).then(|| String::from_utf16(&units).ok()).flatten()
        }
        Tag::UniversalString => (value.data.len() % 4 == 0)
            .then(|| {
                value
                    .data
                    .chunks_exact(4)
                    .map(|q| char::from_u32(u32::from_be_bytes([q[0], q[1], q[2], q[3]])))
                    .collect::<Option<String>>()
            })
            .flatten(),
        _ => None,
    };
    match text {
        Some(text) if !text.is_empty() => escape(&text),
        _ => {
            let ber = value.to_der_vec().unwrap_or_default();
            format!("#{}", ber.iter().map(|b| format!("{b:02X}")).collect::<String>())
        }
    }
}

fn escape(text: &str) -> String {
    let last = text.chars().count().saturating_sub(1);
    let mut out = String::with_capacity(text.len() + 4);
    for (i, c) in text.chars().enumerate() {
        match c {
            '\0' => out.push_str("\\00"),
            c if SPECIAL.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(dn: &str) -> Vec<(String, AvaValue)> {
        parse_dn(dn).unwrap_or_else(|e| panic!("{dn}: {e}"))
    }

    fn p(kind: &str, value: &str) -> (String, AvaValue) {
        (kind.to_owned(), AvaValue::Text(value.to_owned()))
    }

    #[test]
    fn valid_dns_as_ldap3_parses_them() {
        assert_eq!(
            pairs("CN=example.com,O=Example\\, Inc.,C=US"),
            [p("CN", "example.com"), p("O", "Example, Inc."), p("C", "US")]
        );
        assert_eq!(pairs("CN=a+OU=b"), [p("CN", "a"), p("OU", "b")]);
        assert_eq!(parse_rdns("CN=a+OU=b,O=c").unwrap(), [vec![p("CN", "a"), p("OU", "b")], vec![p("O", "c")]]);
        assert_eq!(pairs("CN-x=a"), [p("CN-x", "a")]);
        assert_eq!(pairs("CN=a\\2Cb"), [p("CN", "a,b")]);
        assert_eq!(pairs("CN=\\ padded\\ "), [p("CN", " padded ")]);
        assert_eq!(pairs("CN=#0403616263"), [("CN".to_owned(), AvaValue::Ber(b"\x04\x03abc".to_vec()))]);
        // An escaped `#` starts text, not BER.
        assert_eq!(pairs("CN=\\#0403616263"), [p("CN", "#0403616263")]);
        assert_eq!(pairs("cn=a,o=b"), [p("cn", "a"), p("o", "b")]);
        // Hex escapes are bytes of UTF-8; `\\` and `\=` are literal.
        assert_eq!(pairs("CN=Caf\\C3\\A9\\\\\\="), [p("CN", "Café\\=")]);
        assert_eq!(pairs("CN=a\\\\,O=b"), [p("CN", "a\\"), p("O", "b")]);
    }

    #[test]
    fn invalid_dns_are_refused() {
        for bad in [
            "",
            "not a dn",
            "=x",
            "CN",
            "CN=",
            "CN=a;O=b",
            "CN=a,",
            ",CN=a",
            "CN=a\\",
            "CN=a\\zz",
            "CN=\"q, y\"",
            "CN=a=b",
            "C N=a",
            "cn = a",
            "CN=a<b",
            "CN=a,,O=b",
            "CN=a+",
            "1CN=a",
            "CN_x=a",
            "CN= a",
            "CN=#123",
            "CN=a ",
            "CN=a\\\\ ",
            "CN=\\FF",
            "CN=a\\4",
        ] {
            let err = parse_dn(bad).expect_err(bad);
            assert_eq!(err.to_string(), format!("Invalid subject DN: {bad}"));
            assert_eq!(err.status_code(), 400);
        }
    }

    #[test]
    fn rcgen_names_refuse_what_rcgen_cannot_write() {
        let rcgen = |dn: &str| to_rcgen(&parse_rdns(dn).unwrap());
        let dn = rcgen("CN=www.example.com,O=Example,C=GB,DC=example,emailAddress=a@example.com").unwrap();
        // Encoded in reverse string order, each with its string type.
        let order: Vec<_> = dn.iter().map(|(t, _)| t.clone()).collect();
        assert_eq!(order.first(), Some(&DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1])));
        assert_eq!(order.last(), Some(&DnType::CommonName));
        assert!(matches!(dn.get(&DnType::CountryName), Some(DnValue::PrintableString(_))));
        assert!(matches!(dn.get(&DnType::CommonName), Some(DnValue::Utf8String(s)) if s == "www.example.com"));
        assert!(
            matches!(rcgen("CN=#0C03616263").unwrap().get(&DnType::CommonName), Some(DnValue::Utf8String(s)) if s == "abc")
        );
        // Found while fuzzing this path (replayed by fuzz/corpus/subject_dn/regression-escaped-hash):
        // a text value starting with an escaped `#` was read as BER (and, before that, panicked).
        for (dn, text) in [("CN=\\#0C03616263", "#0C03616263"), ("CN=\\#abc", "#abc"), ("CN=\\#aé", "#aé")] {
            assert!(
                matches!(rcgen(dn).unwrap().get(&DnType::CommonName), Some(DnValue::Utf8String(s)) if s == text),
                "{dn}"
            );
        }

        for (dn, message) in [
            ("CN=a+OU=b", "Multi-valued RDNs ('+') are not supported in a subject DN."),
            ("DC=example,DC=com", "Attribute type 'DC' appears more than once in the subject DN; it may appear once."),
            ("CN=a,commonName=b", "Attribute type 'CN' appears more than once in the subject DN; it may appear once."),
            ("x-custom=a", "Unknown attribute type 'x-custom' in subject DN."),
            ("C=G_B", "Subject DN attribute 'C' must be printable (letters, digits, ' ()+,-./:=)."),
            // Found by fuzzing (fuzz/corpus/subject_dn/regression-printable-question-mark): rcgen
            // took `?`, and writing the CSR then panicked.
            ("C=US?", "Subject DN attribute 'C' must be printable (letters, digits, ' ()+,-./:=)."),
            ("CN=#130355533F", "Subject DN attribute 'CN' must hold a string."),
            ("CN=#0403616263", "Subject DN attribute 'CN' must hold a string."),
        ] {
            assert_eq!(rcgen(dn).unwrap_err().to_string(), message, "{dn}");
        }
    }

    #[test]
    fn escaping_round_trips_through_the_parser() {
        for text in ["plain", " lead", "trail ", "a,b+c;d<e>f=g\"h#i\\j", "#start", "nul\0byte", "Café"] {
            let escaped = escape(text);
            assert_eq!(pairs(&format!("CN={escaped}")), [p("CN", text)], "{escaped}");
        }
    }
}
