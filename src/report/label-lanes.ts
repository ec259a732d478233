/** Rough width of one character of a chart label (10.5 px sans-serif), in px. */
export const LABEL_CHAR_PX = 6.2;
/** Space kept between two labels of one lane, in px. */
const GAP_PX = 4;

/**
 * Give each label (left edge and width, in px) a lane (0, 1, …) so that no two labels of one lane
 * overlap: each takes the first lane whose last label ends before it begins. Labels are placed in
 * the order given (left to right on a time axis).
 */
export function labelLanes(labels: ReadonlyArray<{ x: number; width: number }>): number[] {
  const ends: number[] = [];
  return labels.map(({ x, width }) => {
    let lane = ends.findIndex((end) => end + GAP_PX <= x);
    if (lane < 0) {
      lane = ends.length;
      ends.push(0);
    }
    ends[lane] = x + width;
    return lane;
  });
}
