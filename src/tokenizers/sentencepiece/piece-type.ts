/** SentencePiece piece types (ModelProto.SentencePiece.Type), with their wire values. */
export const PieceType = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;

export type PieceTypeName = keyof typeof PieceType;
export type PieceTypeValue = (typeof PieceType)[PieceTypeName];

export const PIECE_TYPE_NAMES: readonly PieceTypeName[] = [
  'NORMAL',
  'UNKNOWN',
  'CONTROL',
  'USER_DEFINED',
  'UNUSED',
  'BYTE',
];

export function pieceTypeName(v: number): PieceTypeName | undefined {
  return PIECE_TYPE_NAMES.find((n) => PieceType[n] === v);
}

/** `<0xNN>` for a byte, as SentencePiece names byte pieces (upper-case hex). */
export function bytePiece(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/** The byte of a `<0xNN>` piece, or -1. */
export function pieceByte(piece: string): number {
  if (piece.length !== 6 || !piece.startsWith('<0x') || piece[5] !== '>') return -1;
  const hex = piece.slice(3, 5);
  if (!/^[0-9A-F]{2}$/.test(hex)) return -1;
  return parseInt(hex, 16);
}
