"""The narrative every report opens with, in the register of the office's own accounts (seed 001: "Pelaksanaannya
di 10 lokasi, semuanya ada di Kabupaten Gunungkidul mulai tanggal 8 Agustus sampai dengan tanggal 15 Agustus 2019.
Dalam 1 hari dilaksanakan 2 lokasi …"; seed 004: "Kegiatan Forum Group Diskusi (FGD) … dilaksanakan di …").

Pure: each builder takes the facts of its report (as the report module gathers them) and returns Indonesian
paragraphs; the same facts always give the same text. Who, what, where, when, how many (by category), targets met
or not, and what follows.
"""
