"""Register workbook files: reading them (reader, scan), building them (builder, design,
styles, vba) and writing rows into them (appender).

This is the only package that touches a register file; the core above it works on the plain
data these modules return. Import the module you need (``from xlkit.workbook.builder import
build``): importing the package loads no Excel library.
"""
