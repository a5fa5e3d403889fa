"""Pure Python dataset codecs (no Django): COCO, Pascal VOC, YOLO, JSONL and Parquet."""
