-- Institution types the office works with. Add a row here (a new migration) when a new kind
-- appears; code never lists them.
INSERT INTO institution_type (kode, name, description, source) VALUES
('blk_uptd', 'UPTD BLK', 'Balai Latihan Kerja milik pemerintah daerah (UPTD), misalnya UPTD BLK'
 || ' Kabupaten Bekasi di Tambun Utara / a regional government training centre',
 'Permenaker 8/2017 tentang Standar BLK; radarbekasi.id 2022-06-02'),
('blk_uptp', 'UPTP BLK / BBPLK', 'Balai Latihan Kerja milik Kementerian Ketenagakerjaan (UPTP,'
 || ' BBPLK Bekasi) / a central government training centre',
 'Permenaker 8/2017; jpnn.com (BBPLK Bekasi)'),
('blk_komunitas', 'BLK Komunitas', 'BLK di lembaga masyarakat (pesantren, serikat pekerja),'
 || ' dibangun Kemnaker, terdaftar di Disnaker sejak 2025 / a community training centre',
 'Kemnaker program BLK Komunitas; indexbekasi.com 2025-02-26'),
('lpk', 'LPK', 'Lembaga Pelatihan Kerja swasta, berizin dari Disnaker (OSS), diakreditasi LA-LPK'
 || ' / a private training institution licensed by the office',
 'Permenaker 17/2016 (perizinan LPK); LA-LPK pedoman akreditasi'),
('upk', 'UPK', 'Unit Pelayanan Kerja, mitra pelatihan dan pemagangan Disnaker /'
 || ' a job service unit named in the 2022 programme',
 'ANTARA Megapolitan 2022 (the story); not found in regulations'),
('perusahaan', 'Pusat pelatihan perusahaan', 'Pelatihan atau pemagangan yang diselenggarakan'
 || ' perusahaan / a company training centre running apprenticeships',
 'Permenaker 6/2020 (pemagangan dalam negeri)');
