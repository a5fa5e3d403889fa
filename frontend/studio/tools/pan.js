// @ts-check
/** The pan tool: any drag moves the view. */

export class PanTool {
  constructor() {
    this.name = 'pan';
    this.cursor = 'grab';
    this.crosshair = false;
  }

  /** @returns {'pan'} */
  pointerDown() {
    return 'pan';
  }

  pointerMove() {}

  pointerUp() {}

  cancel() {}
}
