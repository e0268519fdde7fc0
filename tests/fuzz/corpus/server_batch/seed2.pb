^
 	
order_completed€Œ¡Ë¶32anon-2:u-2R
p2v2  –ñ*USDHZ
o-1À¬âUSDA
!	
identifyŒ¡Ë¶32anon-2:u-2ª
emaila@b.c>
"	
search_submitted‚Œ¡Ë¶32anon-2b	vitamin c=
#	
in_app_message_viewedƒŒ¡Ë¶32anon-2Šm1