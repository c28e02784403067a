3<a href="x">&amp; 'q'</a>
	|*_`~[]\