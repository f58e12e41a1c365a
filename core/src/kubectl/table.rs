//! Column alignment as kubectl's printers do it: Go's `text/tabwriter` with minwidth 6,
//! padding 3 and spaces (`printers.GetNewTabWriter`). Every column but the last is padded to
//! `max(6, widest cell + 3)`; the last column is not padded.

/// Renders rows (the first one usually the header) into aligned text, one line per row,
/// each ending in `\n`.
pub fn render(rows: &[Vec<String>]) -> String {
    render_with(rows, 6, 3)
}

/// [`render`] with explicit `minwidth` and `padding` (`rollout history` uses 0 and 2).
pub fn render_with(rows: &[Vec<String>], minwidth: usize, padding: usize) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in rows {
        // The last cell of a row is not tab-terminated, so it does not size a column.
        for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            widths[i] = widths[i].max(minwidth).max(cell.chars().count() + padding);
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn pads_like_kubectls_tabwriter() {
        let out = render(&[
            row(&["NAME", "READY", "STATUS", "RESTARTS", "AGE"]),
            row(&["nginx-7854ff8877-5xqzs", "1/1", "Running", "0", "10s"]),
        ]);
        assert_eq!(
            out,
            "NAME                     READY   STATUS    RESTARTS   AGE\n\
             nginx-7854ff8877-5xqzs   1/1     Running   0          10s\n"
        );
    }

    #[test]
    fn narrow_columns_get_the_minimum_width() {
        // A column whose widest cell is 2 characters is 6 wide, not 5.
        let out = render(&[row(&["AB", "X"]), row(&["a", "y"])]);
        assert_eq!(out, "AB    X\na     y\n");
    }

    #[test]
    fn history_table_uses_padding_two() {
        let out = render_with(
            &[row(&["REVISION", "CHANGE-CAUSE"]), row(&["1", "<none>"])],
            0,
            2,
        );
        assert_eq!(out, "REVISION  CHANGE-CAUSE\n1         <none>\n");
    }
}
