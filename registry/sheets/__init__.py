"""Spreadsheets: a form as a workbook (項目/選択肢/設定), entry workbooks, and safe reading of .xlsx."""
