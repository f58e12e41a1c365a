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

/// Go's `text/tabwriter` on tab-separated text (`kubectl describe` writes through one with
/// minwidth 0 and padding 2): a cell is text ending in a tab; a column block is a run of
/// consecutive lines that have a cell in that column, and every cell of a block is padded to
/// the block's widest cell plus `padding`. The text after a line's last tab is not a cell.
pub fn tabwrite(text: &str, minwidth: usize, padding: usize) -> String {
    let lines: Vec<Vec<&str>> = text
        .split_terminator('\n')
        .map(|l| l.split('\t').collect())
        .collect();
    let mut widths = Vec::new();
    let mut out = String::new();
    format_block(
        &lines,
        0,
        lines.len(),
        &mut widths,
        minwidth,
        padding,
        &mut out,
    );
    out
}

fn cell_width(s: &str) -> usize {
    s.chars().count()
}

fn write_lines(lines: &[Vec<&str>], from: usize, to: usize, widths: &[usize], out: &mut String) {
    for line in &lines[from..to] {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if j + 1 < line.len() && j < widths.len() {
                let pad = widths[j].saturating_sub(cell_width(cell));
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
}

fn format_block(
    lines: &[Vec<&str>],
    mut line0: usize,
    line1: usize,
    widths: &mut Vec<usize>,
    minwidth: usize,
    padding: usize,
    out: &mut String,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut width = minwidth;
        while this < line1 && column + 1 < lines[this].len() {
            width = width.max(cell_width(lines[this][column]) + padding);
            this += 1;
        }
        widths.push(width);
        format_block(lines, line0, this, widths, minwidth, padding, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, line0, line1, widths, out);
}

#[cfg(test)]
mod tabwriter_tests {
    use super::*;

    #[test]
    fn blocks_break_at_lines_without_that_column() {
        let text = "Name:\tweb\nNamespace:\tdefault\nPod Template:\n  Labels:\tapp=web\n  Containers:\n   nginx:\n    Image:\tnginx\n    Port:\t<none>\n";
        assert_eq!(
            tabwrite(text, 0, 2),
            "Name:       web\nNamespace:  default\nPod Template:\n  Labels:  app=web\n  Containers:\n   nginx:\n    Image:  nginx\n    Port:   <none>\n"
        );
    }

    #[test]
    fn agrees_with_render_on_uniform_tables() {
        let rows = vec![
            vec!["NAME".to_string(), "READY".into(), "AGE".into()],
            vec!["web-abc".to_string(), "1/1".into(), "5s".into()],
        ];
        let text: String = rows.iter().map(|r| r.join("\t") + "\n").collect();
        assert_eq!(tabwrite(&text, 6, 3), render(&rows));
    }

    #[test]
    fn nested_columns_continue_inside_a_block() {
        // Lines with more cells form a nested block inside the outer one.
        let text = "a:\tx\tp\nbb:\tyy\tq\nccc:\tz\n";
        assert_eq!(tabwrite(text, 0, 2), "a:    x   p\nbb:   yy  q\nccc:  z\n");
    }
}
