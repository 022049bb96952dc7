/**
 * The fields of one CSV line (RFC 4180 quoting: `"a,b"`, `""` for a quote inside one; a quoted field
 * may not span lines) or one TSV line (tab-separated, no quoting, as GCS's URL lists are). Null when
 * a quote is left open or stray text follows a closing quote.
 */
export function delimitedFields(line: string, format: 'csv' | 'tsv'): string[] | null {
  if (format === 'tsv') return line.split('\t');
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote === -1) return null;
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      fields.push(value);
      if (i === line.length) return fields;
      if (line[i] !== ',') return null;
      i++;
    } else {
      const comma = line.indexOf(',', i);
      if (comma === -1) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}
