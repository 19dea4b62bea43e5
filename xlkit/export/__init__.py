"""The council's reports (外部結合の状況, 資料１ 審議案件について) in Word, Excel and PDF.

Builders (linkages.py, cases.py) turn register records into a small document model
(model.py); writers (docx_writer.py, xlsx_writer.py, pdf.py) print it. api.py is the entry
point for the CLI and the Excel buttons.
"""
