/**
 * Which strings may become pieces (SentencePiece's TrainerInterface::IsValidSentencePiece):
 * at most max_sentencepiece_length characters; no NUL, tab, ' ' or the UNK placeholder; '▁' only
 * as the first character (with split_by_whitespace); one Unicode script per piece (Hiragana and
 * Katakana count as Han, combining marks inherit the script before them); digits alone when
 * split_digits; digits apart from letters when split_by_number.
 *
 * Scripts come from JavaScript's Unicode tables (`\p{Script=...}`, Node 20: Unicode 15+), where
 * SentencePiece 0.1.97 has its own older table; they differ only for recently added characters.
 */

export const WS_CHAR = 0x2581;
/** replaces characters outside the coverage during training (SentencePiece's kUNKChar) */
export const UNK_CHAR = 0x2585;

export interface PieceRules {
  maxPieceLength: number;
  splitByUnicodeScript: boolean;
  splitByNumber: boolean;
  splitByWhitespace: boolean;
  splitDigits: boolean;
  treatWhitespaceAsSuffix: boolean;
  allowWhitespaceOnlyPieces: boolean;
}

export const DEFAULT_PIECE_RULES: PieceRules = {
  maxPieceLength: 16,
  splitByUnicodeScript: true,
  splitByNumber: true,
  splitByWhitespace: true,
  splitDigits: false,
  treatWhitespaceAsSuffix: false,
  allowWhitespaceOnlyPieces: false,
};

const SCRIPT_NAMES =
  'Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham Cherokee Chorasmian Coptic Cuneiform Cypriot Cypro_Minoan Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kawi Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar Nabataean Nag_Mundari Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur Oriya Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto Ugaritic Vai Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square'.split(
    ' ',
  );

// one regex with a capture group per script: the index of the group that matched is the script
let scriptRegex: RegExp | null = null;
let scriptIds: number[] = [];
const COMMON = 0;
const ANY = -1;
let HAN = -2;
let HIRAGANA = -2;
let KATAKANA = -2;
let INHERITED = -2;
const scriptCache = new Map<number, number>();

function buildScriptRegex(): RegExp {
  const groups: string[] = [];
  scriptIds = [];
  SCRIPT_NAMES.forEach((name, i) => {
    try {
      new RegExp(`\\p{Script=${name}}`, 'u');
    } catch {
      return; // not known to this JavaScript engine
    }
    groups.push(`(\\p{Script=${name}})`);
    scriptIds.push(i + 1);
  });
  HAN = SCRIPT_NAMES.indexOf('Han') + 1;
  HIRAGANA = SCRIPT_NAMES.indexOf('Hiragana') + 1;
  KATAKANA = SCRIPT_NAMES.indexOf('Katakana') + 1;
  INHERITED = SCRIPT_NAMES.indexOf('Inherited') + 1;
  return new RegExp(`^(?:${groups.join('|')})$`, 'u');
}

/** Script id of a code point (0 = Common, which also covers unassigned code points). */
export function scriptOf(cp: number): number {
  let s = scriptCache.get(cp);
  if (s !== undefined) return s;
  scriptRegex ??= buildScriptRegex();
  const m = scriptRegex.exec(String.fromCodePoint(cp));
  s = COMMON;
  if (m !== null) {
    for (let g = 1; g < m.length; g++) {
      if (m[g] !== undefined) {
        s = scriptIds[g - 1]!;
        break;
      }
    }
  }
  scriptCache.set(cp, s);
  return s;
}

/** IsValidSentencePiece over the code points cps[start, end) of a candidate piece. */
export function isValidPiece(cps: ArrayLike<number>, rules: PieceRules, start = 0, end = cps.length): boolean {
  const n = end - start;
  if (n <= 0 || n > rules.maxPieceLength) return false;
  let prev = ANY;
  let allWs = true;
  for (let i = start; i < end; i++) if (cps[i] !== WS_CHAR) allWs = false;
  for (let pos = 0; pos < n; pos++) {
    const c = cps[start + pos]!;
    if (c === UNK_CHAR || c === 0 || c === 0x09 || c === 0x20) return false;
    if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return false;
    if (c === WS_CHAR) {
      if (!rules.allowWhitespaceOnlyPieces || !allWs) {
        if (rules.treatWhitespaceAsSuffix) {
          if ((rules.splitByWhitespace && pos < n - 1) || (!rules.splitByWhitespace && pos < n - 1 && pos === 0))
            return false;
        } else if ((rules.splitByWhitespace && pos > 0) || (!rules.splitByWhitespace && pos > 0 && pos === n - 1))
          return false;
      }
      continue;
    }
    let s = scriptOf(c);
    if (s === HIRAGANA || s === KATAKANA || c === 0x30fc) s = HAN;
    else if (s === INHERITED) s = prev;
    const digit = c >= 0x30 && c <= 0x39;
    if (!rules.splitByNumber && digit) s = ANY;
    if (rules.splitDigits && digit && n > 1) return false;
    if (rules.splitByUnicodeScript && s !== ANY && prev !== ANY && prev !== s) return false;
    prev = s;
  }
  return true;
}
